// `tcpsight top -r`: a SYN flood recorded while live top watched it is flagged by the replay at
// the moment live top flagged it; a recording of every namespace plays into top -A's list, and one
// of a single namespace into its full view, each with the sockets ss counted in that namespace.
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <regex>
#include <thread>

#include "harness.hpp"
#include "top_tmux.hpp"

namespace tcpsight::itest {
namespace {

// Seconds between refreshes, live and replayed: top's default, which is also how often record
// reads the sockets. The warning counts growing snapshots, so a live top refreshing faster than the
// recording's snapshots flags a flood sooner than its replay can (seen: 0.5 s live, 3 s apart on 6.12).
constexpr double kInterval = 1.0;
const std::vector<std::string> kIntervalArgs{"--interval", "1"};

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
    TopInTmux live(half_open.server_ns.name(), 120, 40, kIntervalArgs);
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
    const auto warned = live.wait_for_text("SYN FLOOD?", 15s);
    opener.join();
    ASSERT_EQ(opener_error, "");
    ASSERT_TRUE(warned) << live.screen();
    const auto live_at = header_time(*warned);
    ASSERT_TRUE(live_at) << *warned;
    std::this_thread::sleep_for(1s);  // a little recording after the flood: the replay plays past it
    record.signal(SIGTERM);
    ASSERT_EQ(record.wait(20s), 0) << record.err();
    for (Fd& c : clients) close_with_reset(c);

    std::vector<std::string> replay_args{"-r", path};
    replay_args.insert(replay_args.end(), kIntervalArgs.begin(), kIntervalArgs.end());
    TopInTmux replay("", 120, 40, replay_args);
    const auto replayed = replay.wait_for_text("SYN FLOOD?", 30s);
    ASSERT_TRUE(replayed) << "the replay never flagged the flood\n" << replay.screen();
    EXPECT_NE(replayed->find("REPLAY"), std::string::npos) << *replayed;
    EXPECT_NE(replayed->find("10.202.1.2:" + std::to_string(half_open.port)), std::string::npos) << *replayed;
    const auto replay_at = header_time(*replayed);
    ASSERT_TRUE(replay_at) << *replayed;
    report_figure("live warning at (s of day)", *live_at);
    report_figure("replayed warning at (s of day)", *replay_at);
    // Both flag it at the third growing snapshot; live top and the recorder read the sockets at
    // their own phases (up to one interval apart), the clock shows whole seconds, and the capture
    // polls: within 2 s.
    EXPECT_LE(std::abs(*replay_at - *live_at), 2) << "live:\n" << *warned << "\nreplay:\n" << *replayed;
    replay.send_keys({"q"});
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

// stats -r's newest report of namespace `name` in a recording (one still being written replays its
// sealed chunks), or null.
nlohmann::json last_report_of(const std::string& path, const std::string& name) {
  nlohmann::json found;
  const CommandResult r = run_command({tcpsight_binary(), "stats", "-r", path, "--json"});
  for (const auto& j : json_lines(r.out))
    if (j.value("name", "") == name) found = j;
  return found;
}

TEST(TopReplay, NamespaceRecordingsPlayIntoTheListAndTheFullViewAsTopAShowedThem) {
  TS_REQUIRE_ROOT_OR_SKIP();
  char dir_template[] = "/tmp/tcpsight-top-replay-XXXXXX";
  const std::filesystem::path dir = mkdtemp(dir_template);
  const std::string all = (dir / "all.tsr").string(), one = (dir / "one.tsr").string();
  Netns busy("top-rpa"), quiet("top-rpb");
  constexpr size_t kTimeWait = 20;
  make_connections(busy.name(), "127.0.0.1", kTimeWait, CloseMode::client_first);
  ASSERT_EQ(busy.wait_for_ss_count("time-wait", kTimeWait, 5s), kTimeWait) << "the kernel's own view";
  const uint64_t quiet_time_wait = quiet.ss_count("time-wait");
  {
    // Both run in the test's own namespace; --netns records the one it names.
    Child record_all({tcpsight_binary(), "record", "-A", "-w", all});
    Child record_one({tcpsight_binary(), "record", "--netns", busy.name(), "-w", one});
    ASSERT_TRUE(record_all.wait_for_line(Child::Stream::err, "recording TCP", 20s)) << record_all.err();
    ASSERT_TRUE(record_one.wait_for_line(Child::Stream::err, "recording TCP", 20s)) << record_one.err();
    // Until each file holds a snapshot of the namespaces with the TIME_WAIT ss counts (a chunk is
    // sealed every second).
    const auto holds = [&](const std::string& path, const Netns& ns, uint64_t time_wait) {
      const nlohmann::json j = last_report_of(path, ns.name());
      return !j.is_null() && j.at("sockets").at("TIME_WAIT").get<uint64_t>() == time_wait;
    };
    const auto all_holds_both = [&] { return holds(all, busy, kTimeWait) && holds(all, quiet, quiet_time_wait); };
    ASSERT_TRUE(wait_until(all_holds_both, 30s, 200ms)) << record_all.err();
    ASSERT_TRUE(wait_until([&] { return holds(one, busy, kTimeWait); }, 30s, 200ms)) << record_one.err();
    record_all.signal(SIGTERM);
    record_one.signal(SIGTERM);
    ASSERT_EQ(record_all.wait(20s), 0) << record_all.err();
    ASSERT_EQ(record_one.wait(20s), 0) << record_one.err();
  }
  // TIME_WAIT lasts 60 s: what ss counts now is what it counted while they recorded.
  ASSERT_EQ(busy.ss_count("time-wait"), kTimeWait);
  // The namespace's full view, with its TIME_WAIT.
  const auto busy_in_full = [&](const std::string& s) {
    return s.find("netns " + busy.name()) != std::string::npos &&
           screen_number(s, R"(^TIME_WAIT\s+(\d+))") == kTimeWait;
  };

  {
    // record -A: the namespaces list first, each row with its own namespace's TIME_WAIT.
    TopInTmux replay("", 200, 50, {"-r", all, "--interval", "0.5"});
    const auto listed = replay.wait_for(
        [&](const std::string& s) {
          return s.find("NAMESPACES") != std::string::npos && listed_time_wait(s, busy.name()) == kTimeWait &&
                 listed_time_wait(s, quiet.name()) == quiet_time_wait;
        },
        30s);
    ASSERT_TRUE(listed) << "expected TIME_WAIT " << kTimeWait << " in " << busy.name() << " and " << quiet_time_wait
                        << " in " << quiet.name() << "\n"
                        << replay.screen();
    EXPECT_NE(listed->find("REPLAY"), std::string::npos) << *listed;
    ASSERT_TRUE(move_to_row(replay, busy.name())) << "Down never reached " << busy.name() << "\n" << replay.screen();
    replay.send_keys({"Enter"});
    const auto full = replay.wait_for(busy_in_full, 10s);
    EXPECT_TRUE(full) << "Enter shows " << busy.name() << " in full, with its TIME_WAIT\n" << replay.screen();
    replay.send_keys({"q"});
    EXPECT_TRUE(replay.wait_for_text("top exited 0", 10s)) << replay.screen();
  }
  {
    // record --netns: that namespace in full, as top --netns shows it.
    TopInTmux replay("", 160, 45, {"-r", one, "--interval", "0.5"});
    const auto full = replay.wait_for(busy_in_full, 30s);
    EXPECT_TRUE(full) << "the full view of " << busy.name() << "\n" << replay.screen();
    replay.send_keys({"q"});
    EXPECT_TRUE(replay.wait_for_text("top exited 0", 10s)) << replay.screen();
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace tcpsight::itest
