// `tcpsight top` as an operator sees it: run in tmux inside a private network namespace, its screen
// is compared with what the kernel says (`ss`, the port range sysctl), and its keys and exits are
// exercised as a person would (send-keys, Ctrl-C, SIGTERM, resizing).
#include <algorithm>
#include <csignal>
#include <fstream>
#include <iostream>
#include <ostream>
#include <regex>
#include <sstream>
#include <thread>

#include "harness.hpp"
#include "top_tmux.hpp"

namespace tcpsight::itest {
namespace {

constexpr double kInterval = 0.5;  // seconds between refreshes in these tests
const std::vector<std::string> kTopArgs = {"--interval", "0.5"};
constexpr auto kStartup = 20s;  // loading the BPF programs and the first frame

// TIME_WAIT as the STATES panel shows it ("TIME_WAIT        2000  ...").
std::optional<uint64_t> shown_time_wait(const std::string& screen) {
  return screen_number(screen, R"(^TIME_WAIT\s+(\d+))");
}

// Sleeps long enough for top to take at least two fresh readings.
void let_top_refresh() { std::this_thread::sleep_for(std::chrono::duration<double>(kInterval * 3)); }

// Terminal columns of a UTF-8 row (every character top draws is one column wide).
size_t columns(const std::string& row) {
  return static_cast<size_t>(std::count_if(row.begin(), row.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string port_range_of(const Netns& ns) { return ns.run_checked({"cat", "/proc/sys/net/ipv4/ip_local_port_range"}); }

TEST(TopView, TimeWaitOnScreenMatchesSsAndItsEphemeralPortShare) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns ns("top-tw");
  TopInTmux top(ns.name(), 120, 40, kTopArgs);
  ASSERT_TRUE(top.wait_for_text("STATES", kStartup)) << top.screen();
  // Least privilege: loaded and attached, top holds no capability; all it shows below comes after.
  EXPECT_EQ(proc_status_field(top.top_pid(), "CapEff"), "0000000000000000");

  constexpr size_t kConnections = 2000;
  const KernelCounters before = ns.kernel_counters();
  const ConnectionRun run = make_connections(ns.name(), "127.0.0.1", kConnections, CloseMode::client_first);
  ASSERT_EQ(run.client_ports.size(), kConnections);
  // Each client socket ends in TIME_WAIT unless the kernel made none (TCPTimeWaitOverflow: a full
  // tcp_max_tw_buckets or a failed allocation), reused one for a new connect to the same place
  // (TWRecycled: tcp_tw_reuse, on for loopback by default), or killed one early (TWKilled). These
  // are the kernel's own reasons; what the screen must match is ss, whatever they were.
  const auto closing = [&] { return ns.ss_count("fin-wait-1") + ns.ss_count("fin-wait-2") + ns.ss_count("last-ack"); };
  ASSERT_TRUE(wait_until([&] { return closing() == 0; }, 10s)) << "the connections never finished closing";
  const KernelCounters after = ns.kernel_counters();
  for (const char* counter : {"TcpExt.TCPTimeWaitOverflow", "TcpExt.TWRecycled", "TcpExt.TWKilled"})
    report_figure(std::string(counter) + " delta", static_cast<double>(after.at(counter) - before.at(counter)));
  const size_t kernel_time_wait = ns.ss_count("time-wait");
  report_figure("ss TIME_WAIT", static_cast<double>(kernel_time_wait));
  report_figure("client sockets the kernel gave no TIME_WAIT",
                static_cast<double>(kConnections) - static_cast<double>(kernel_time_wait));
  ASSERT_GE(kernel_time_wait, kConnections / 2) << "too few TIME_WAIT sockets for the test to mean anything";
  // TIME_WAIT lasts 60 s: from here to the end of the test the kernel's count stays put.
  ASSERT_TRUE(top.wait_for([&](const std::string& s) { return shown_time_wait(s) == kernel_time_wait; }, 20s))
      << "no refresh shows ss's " << kernel_time_wait << " TIME_WAIT sockets\n"
      << top.screen();
  let_top_refresh();

  // One screen on which the STATES panel, the TIME_WAIT panel and the ports toward the server all
  // say what ss says (a capture may catch a frame half-drawn, so each refresh is looked at).
  const std::string destination = "127.0.0.1:" + std::to_string(run.server_port);
  const size_t ss_to_server = ns.ss_count("time-wait", {"dst", destination});
  const std::regex share_row(destination + R"(\s+(\d+)\s+\d+\s+([\d.]+)%)");
  const auto drawn = top.wait_for(
      [&](const std::string& s) {
        std::smatch row;
        return shown_time_wait(s) == kernel_time_wait &&
               screen_number(s, R"(^TIME_WAIT\s{2}(\d+)\s+entered)") == kernel_time_wait &&
               std::regex_search(s, row, share_row) && std::stoul(row[1].str()) == ss_to_server;
      },
      10s);
  ASSERT_TRUE(drawn) << "want TIME_WAIT " << kernel_time_wait << " in both panels and " << ss_to_server
                     << " ports toward " << destination << "\n"
                     << top.screen();
  const std::string& screen = *drawn;
  EXPECT_EQ(ns.ss_count("time-wait"), kernel_time_wait) << "the kernel's count moved";

  // Every one of those client sockets holds a port of the ephemeral range toward the server.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(screen, m, share_row)) << screen;
  std::istringstream range(port_range_of(ns));
  unsigned low = 0, high = 0;
  ASSERT_TRUE(range >> low >> high);
  const double share = 100.0 * static_cast<double>(ss_to_server) / (high - low + 1);
  EXPECT_NEAR(std::stod(m[2].str()), share, 0.1) << "share of " << low << "-" << high;  // printed to 0.1%
}

TEST(TopView, HalfOpenListenerShowsItsSynQueueAndTheFloodWarning) {
  TS_REQUIRE_ROOT_OR_SKIP();
  constexpr const char* kClientAddr = "10.201.1.1";
  constexpr const char* kServerAddr = "10.201.1.2";
  HalfOpenServer half_open("top-ho", kClientAddr, kServerAddr);
  Netns& client_ns = half_open.client_ns;
  Netns& server_ns = half_open.server_ns;
  const uint16_t port = half_open.port;
  TopInTmux top(server_ns.name(), 120, 40, kTopArgs);
  ASSERT_TRUE(top.wait_for_text("STATES", kStartup)) << top.screen();
  const std::string local = std::string(kServerAddr) + ":" + std::to_string(port);
  const std::string queue_pattern = "^" + local + R"(\s+(\d+)\s+\d+/\d+)";

  // Waves of SYNs faster than top refreshes: the SYN queue grows at every refresh.
  constexpr int kWaves = 12;
  constexpr size_t kPerWave = 25;
  std::vector<Fd> clients;
  std::string opener_error;
  std::thread opener([&] {
    try {
      run_in_netns(client_ns.name(), [&] {
        for (int w = 0; w < kWaves; ++w) {
          for (size_t i = 0; i < kPerWave; ++i) clients.push_back(tcp_connect(kServerAddr, port, /*nonblocking=*/true));
          std::this_thread::sleep_for(std::chrono::duration<double>(kInterval / 2));
        }
      });
    } catch (const std::exception& e) {
      opener_error = e.what();
    }
  });
  const auto warned = top.wait_for_text("SYN FLOOD?", Seconds(kWaves * kInterval / 2 + 1));
  opener.join();
  ASSERT_EQ(opener_error, "");
  EXPECT_TRUE(warned) << "a SYN queue growing at every refresh should be flagged\n" << top.screen();
  if (warned) {
    const std::string flagged = *warned;
    EXPECT_NE(flagged.find(local), std::string::npos) << flagged;
  }

  const size_t expected = kWaves * kPerWave;
  const size_t ss = server_ns.wait_for_ss_count("syn-recv", expected, 5s);
  ASSERT_GE(ss, expected) << "the kernel did not keep the half-open connections";
  ASSERT_TRUE(
      top.wait_for([&](const std::string& s) { return screen_number(s, queue_pattern) >= expected * 99 / 100; }, 10s))
      << "no refresh shows the SYN queue\n"
      << top.screen();
  let_top_refresh();
  const size_t ss_before = server_ns.ss_count("syn-recv");
  const std::string screen = top.screen();
  const size_t ss_after = server_ns.ss_count("syn-recv");
  const auto syn_queue = screen_number(screen, queue_pattern);
  ASSERT_TRUE(syn_queue) << "listener " << local << " missing\n" << screen;
  const auto syn_recv = screen_number(screen, R"(^SYN_RECV\s+(\d+))");
  ASSERT_TRUE(syn_recv) << screen;
  for (size_t n : {ss_before, ss_after}) {
    EXPECT_TRUE(within_fraction(static_cast<double>(*syn_queue), static_cast<double>(n), 0.01))
        << "SYN queue " << *syn_queue << " vs ss syn-recv " << n << "\n"
        << screen;
    EXPECT_TRUE(within_fraction(static_cast<double>(*syn_recv), static_cast<double>(n), 0.01))
        << "SYN_RECV " << *syn_recv << " vs ss syn-recv " << n;
  }
  // The queue no longer grows: the warning goes away.
  EXPECT_TRUE(top.wait_for([](const std::string& s) { return s.find("SYN FLOOD?") == std::string::npos; }, 3s))
      << top.screen();
  for (Fd& c : clients) close_with_reset(c);
}

TEST(TopView, PauseFreezesTheNumbers) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns ns("top-pause");
  TopInTmux top(ns.name(), 120, 40, kTopArgs);
  ASSERT_TRUE(top.wait_for_text("STATES", kStartup)) << top.screen();

  make_connections(ns.name(), "127.0.0.1", 300, CloseMode::client_first);
  const size_t first = ns.ss_count("time-wait");
  ASSERT_TRUE(top.wait_for([&](const std::string& s) { return shown_time_wait(s) == first; }, 5s))
      << "expected TIME_WAIT " << first << "\n"
      << top.screen();

  top.send_keys({"p"});
  ASSERT_TRUE(top.wait_for_text("PAUSED", 3s)) << top.screen();
  make_connections(ns.name(), "127.0.0.1", 200, CloseMode::client_first);
  const size_t second = ns.ss_count("time-wait");
  ASSERT_GT(second, first);
  let_top_refresh();
  const std::string paused = top.screen();
  EXPECT_EQ(shown_time_wait(paused), first) << "paused numbers must not move (ss now says " << second << ")\n"
                                            << paused;

  top.send_keys({"p"});
  EXPECT_TRUE(top.wait_for(
      [&](const std::string& s) {
        return s.find("PAUSED") == std::string::npos && shown_time_wait(s) == ns.ss_count("time-wait");
      },
      5s))
      << top.screen();
}

TEST(TopView, ABurstOfResetsBetweenRefreshesLosesNoEvent) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns ns("top-burst");
  // Five seconds between refreshes: the burst's reset records (2 per connection, 112 bytes each
  // in the ring buffer) are more than the 8 MiB buffer holds, so top must take them as they come.
  TopInTmux top(ns.name(), 120, 40, {"--interval", "5"});
  ASSERT_TRUE(top.wait_for_text("STATES", kStartup)) << top.screen();

  constexpr size_t kConnections = 45000;
  const auto started = std::chrono::steady_clock::now();
  make_connections(ns.name(), "127.0.0.1", kConnections, CloseMode::reset);
  const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cerr << kConnections << " RST connections in " << load_s << " s\n";

  // The first refresh that covers the whole burst shows its resets; lost must still be 0.
  ASSERT_TRUE(top.wait_for([](const std::string& s) { return s.find("resets 0/s") == std::string::npos; }, 12s))
      << top.screen();
  std::this_thread::sleep_for(6s);
  const std::string screen = top.screen();
  EXPECT_NE(screen.find("lost 0"), std::string::npos) << screen;
  EXPECT_EQ(screen.find("LOST"), std::string::npos) << screen;
}

enum class Ending { QuitKey, CtrlC, Sigterm };
std::ostream& operator<<(std::ostream& out, Ending e) {
  return out << (e == Ending::QuitKey ? "q" : e == Ending::CtrlC ? "CtrlC" : "SIGTERM");
}

class TopEnding : public testing::TestWithParam<Ending> {};

TEST_P(TopEnding, ExitsZeroAndRestoresTheTerminal) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns ns("top-exit");
  TopInTmux top(ns.name(), 100, 30, kTopArgs);
  ASSERT_TRUE(top.wait_for_text("STATES", kStartup)) << top.screen();
  EXPECT_TRUE(top.alternate_screen());
  switch (GetParam()) {
    case Ending::QuitKey:
      top.send_keys({"q"});
      break;
    case Ending::CtrlC:
      top.send_keys({"C-c"});
      break;
    case Ending::Sigterm: {
      const pid_t pid = top.top_pid();
      ASSERT_GT(pid, 0) << "tcpsight not found in the pane";
      ASSERT_EQ(kill(pid, SIGTERM), 0);
      break;
    }
  }
  const auto after = top.wait_for_text("top exited", 5s);
  ASSERT_TRUE(after) << top.screen();
  EXPECT_NE(after->find("top exited 0"), std::string::npos) << *after;
  EXPECT_NE(after->find("tty restored"), std::string::npos) << *after;
  EXPECT_EQ(after->find("STATES"), std::string::npos) << "the screen from before top must be back\n" << *after;
  EXPECT_FALSE(top.alternate_screen());
}

INSTANTIATE_TEST_SUITE_P(Top, TopEnding, testing::Values(Ending::QuitKey, Ending::CtrlC, Ending::Sigterm),
                         [](const testing::TestParamInfo<Ending>& i) { return testing::PrintToString(i.param); });

TEST(TopView, SmallWindowSaysSoAndResizingRedraws) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns ns("top-size");
  TopInTmux top(ns.name(), 60, 20, kTopArgs);
  const auto small = top.wait_for_text("too small", kStartup);
  ASSERT_TRUE(small) << top.screen();
  EXPECT_EQ(small->find("STATES"), std::string::npos) << *small;

  top.resize(80, 24);
  const auto standard = top.wait_for_text("STATES", 5s);
  ASSERT_TRUE(standard) << top.screen();
  EXPECT_TRUE(shown_time_wait(*standard)) << *standard;
  EXPECT_NE(standard->find("q quit"), std::string::npos) << "footer with the keys\n" << *standard;
  std::istringstream rows(*standard);
  size_t n = 0;
  for (std::string row; std::getline(rows, row); ++n) EXPECT_LE(columns(row), 80u) << row;
  EXPECT_EQ(n, 24u);

  top.resize(60, 20);
  EXPECT_TRUE(top.wait_for_text("too small", 5s)) << top.screen();
  top.send_keys({"q"});
  EXPECT_TRUE(top.wait_for_text("top exited 0", 5s)) << top.screen();
}

TEST(TopView, IdleCostsAtMostOnePercentOfACore) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns ns("top-idle");
  TopInTmux top(ns.name(), 120, 40);  // default interval: 1 s
  ASSERT_TRUE(top.wait_for_text("STATES", kStartup)) << top.screen();
  const pid_t pid = top.top_pid();
  ASSERT_GT(pid, 0);
  // utime and stime, in seconds.
  const auto cpu_seconds = [pid] {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), {});
    std::istringstream fields(text.substr(text.rfind(')') + 2));  // after "pid (comm) "
    std::string f;
    uint64_t utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> f; ++i) {
      if (i == 14) utime = std::stoull(f);
      if (i == 15) stime = std::stoull(f);
    }
    const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
    return std::pair(static_cast<double>(utime) / tick, static_cast<double>(stime) / tick);
  };
  constexpr double kWindow = 15;
  const auto [user_before, system_before] = cpu_seconds();
  std::this_thread::sleep_for(std::chrono::duration<double>(kWindow));
  const auto [user_after, system_after] = cpu_seconds();
  const double user = user_after - user_before, system = system_after - system_before;
  // What it would have used on the machine the budget was set on: its own code as much faster as
  // this machine computes slower, its system calls as much faster as this kernel is slower.
  const double used = user / compute_slowdown() + system / kernel_slowdown();
  RecordProperty("idle_cpu_fraction", std::to_string((user + system) / kWindow));
  // 1% of a core, plus one clock tick over the window: utime and stime are counted in whole ticks
  // of 1/CLK_TCK s, so two readings can be a tick off what was used (0.01 s of a 0.15 s budget).
  const double budget = 0.01 + 1.0 / static_cast<double>(sysconf(_SC_CLK_TCK)) / kWindow;
  std::cout << "tcpsight top, idle, 1 s refresh: " << user << " s user and " << system << " s system CPU in "
            << kWindow << " s; this machine is " << compute_slowdown() << "x slower at computing and "
            << kernel_slowdown() << "x in the kernel than the reference: " << 100 * used / kWindow
            << "% of a core there, budget " << 100 * budget << "%\n";
  EXPECT_LE(used / kWindow, budget) << user << " s user, " << system << " s system in " << kWindow << " s";
  EXPECT_NE(top.screen().find("STATES"), std::string::npos) << "still running";
}

TEST(TopCli, WithoutATerminalItPointsAtStats) {
  // No root needed: the terminal check comes first.
  const CommandResult r = run_command({tcpsight_binary(), "top"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("terminal"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("tcpsight stats"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST(TopCli, RejectsANonPositiveInterval) {
  for (const char* bad : {"0", "-1", "soon"}) {
    const CommandResult r = run_command({tcpsight_binary(), "top", "--interval", bad});
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.err;
    EXPECT_NE(r.err.find("--interval"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace tcpsight::itest
