// `tcpsight top -r`: a SYN flood recorded while live top watched it is flagged by the replay at
// the moment live top flagged it.
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <regex>
#include <thread>

#include "harness.hpp"
#include "top_tmux.hpp"

namespace tcpsight::itest {
namespace {

constexpr double kInterval = 0.5;  // seconds between refreshes, live and replayed

// The header's clock ("HH:MM:SS" at the start of the second row) in seconds of the day.
std::optional<int> header_time(const std::string& screen) {
  std::smatch m;
  static const std::regex clock(R"(\n (\d\d):(\d\d):(\d\d) )");
  if (!std::regex_search(screen, m, clock)) return std::nullopt;
  return std::stoi(m[1]) * 3600 + std::stoi(m[2]) * 60 + std::stoi(m[3]);
}

TEST(TopReplay, ShowsTheSynFloodWarningAtTheMomentLiveTopShowedIt) {
  TS_REQUIRE_ROOT_OR_SKIP();
  char dir_template[] = "/tmp/tcpsight-top-replay-XXXXXX";
  const std::filesystem::path dir = mkdtemp(dir_template);
  const std::string path = (dir / "flood.tsr").string();
  HalfOpenServer half_open("top-rp", "10.202.1.1", "10.202.1.2");
  {
    Child record({tcpsight_binary(), "record", "-w", path}, half_open.server_ns.inside());
    ASSERT_TRUE(record.wait_for_line(Child::Stream::err, "recording TCP", 20s)) << record.err();
    TopInTmux live(half_open.server_ns.name(), 120, 40, {"--interval", "0.5"});
    ASSERT_TRUE(live.wait_for_text("STATES", 20s)) << live.screen();
    // Waves of SYNs faster than top refreshes: the SYN queue grows at every refresh.
    std::vector<Fd> clients;
    std::string opener_error;
    std::thread opener([&] {
      try {
        run_in_netns(half_open.client_ns.name(), [&] {
          for (int w = 0; w < 12; ++w) {
            for (int i = 0; i < 25; ++i) clients.push_back(tcp_connect("10.202.1.2", half_open.port, true));
            std::this_thread::sleep_for(std::chrono::duration<double>(kInterval / 2));
          }
        });
      } catch (const std::exception& e) {
        opener_error = e.what();
      }
    });
    const auto warned = live.wait_for_text("SYN FLOOD?", 10s);
    opener.join();
    ASSERT_EQ(opener_error, "");
    ASSERT_TRUE(warned) << live.screen();
    const auto live_at = header_time(*warned);
    ASSERT_TRUE(live_at) << *warned;
    std::this_thread::sleep_for(1s);  // a little recording after the flood: the replay plays past it
    record.signal(SIGTERM);
    ASSERT_EQ(record.wait(20s), 0) << record.err();
    for (Fd& c : clients) close_with_reset(c);

    TopInTmux replay("", 120, 40, {"-r", path, "--interval", "0.5"});
    const auto replayed = replay.wait_for_text("SYN FLOOD?", 30s);
    ASSERT_TRUE(replayed) << "the replay never flagged the flood\n" << replay.screen();
    EXPECT_NE(replayed->find("REPLAY"), std::string::npos) << *replayed;
    EXPECT_NE(replayed->find("10.202.1.2:" + std::to_string(half_open.port)), std::string::npos) << *replayed;
    const auto replay_at = header_time(*replayed);
    ASSERT_TRUE(replay_at) << *replayed;
    report_figure("live warning at (s of day)", *live_at);
    report_figure("replayed warning at (s of day)", *replay_at);
    // Both flag it at the third growing refresh; the two refresh at their own phases (0.5 s apart
    // at most) and the clock shows whole seconds, and the capture polls: within 2 s.
    EXPECT_LE(std::abs(*replay_at - *live_at), 2) << "live:\n" << *warned << "\nreplay:\n" << *replayed;
    replay.send_keys({"q"});
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace tcpsight::itest
