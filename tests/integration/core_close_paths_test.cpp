// Every way a connection can end, each in a fresh namespace with many connections: the TIME_WAIT
// entries tcpsight counts are the timewait sockets the kernel made (`ss`, /proc/net/sockstat), the
// orphaned FIN_WAIT2 hand-overs are the FIN-WAIT-2 timewait sockets, and every state count of the
// snapshot is `ss`'s, in `stats --json`, in serve's /metrics and on top's screen. All exact.
#include <csignal>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "harness.hpp"
#include "serve_test_support.hpp"
#include "top_tmux.hpp"

namespace tcpsight::itest {
namespace {

struct ClosePath {
  const char* name;
  CloseMode mode;
  const char* loopback;  // "127.0.0.1" or "::1"
  size_t connections;
  std::optional<int> max_tw_buckets;  // net.ipv4.tcp_max_tw_buckets in the namespace
};

// For gtest's and ctest's test names and messages: the path's name, not its bytes.
void PrintTo(const ClosePath& p, std::ostream* out) { *out << p.name; }

// What the kernel should be left with once the connections of a path are closed: checked first, so
// that each test is known to exercise its path before tcpsight is compared with the kernel.
struct KernelOutcome {
  size_t time_wait = 0;        // ss time-wait: timewait sockets in their TIME_WAIT substate
  // ss fin-wait-2: orphaned FIN_WAIT2 connections, nearly all handed to timewait sockets. One whose
  // ACK the kernel processed while close() still owned the socket stays a full socket until its
  // keepalive timer resets it (seen for 1 in 100 on 6.12 under QEMU): no hand-over.
  size_t fin_wait2 = 0;
  size_t close_wait = 0;       // server ends kept open
  int64_t tw_overflow = 0;     // TcpExt.TCPTimeWaitOverflow delta (what `nstat` shows)
};

KernelOutcome expected_outcome(const ClosePath& p) {
  const size_t n = p.connections;
  switch (p.mode) {
    case CloseMode::client_first:
    case CloseMode::server_first:
      if (p.max_tw_buckets) {
        const auto kept = static_cast<size_t>(*p.max_tw_buckets);
        return {.time_wait = kept, .tw_overflow = static_cast<int64_t>(n - kept)};
      }
      return {.time_wait = n};
    case CloseMode::server_keeps_open:
      return {.fin_wait2 = n, .close_wait = n};
    case CloseMode::reset:
    case CloseMode::half_close_then_reset:
    case CloseMode::unread_data:
      return {};
  }
  return {};
}

// Whether the peer closes too, so that its FIN may reach our side after a FIN_WAIT2 hand-over.
bool peer_fin_may_follow(CloseMode mode) { return mode == CloseMode::client_first || mode == CloseMode::server_first; }

std::string describe(const std::map<std::string, size_t>& counts) {
  std::string s;
  for (const auto& [state, n] : counts) s += state + "=" + std::to_string(n) + " ";
  return s;
}

// STATES panel rows of top's screen: "TIME_WAIT        2073    +300/s ...".
std::optional<uint64_t> shown_state(const std::string& screen, const std::string& state) {
  return screen_number(screen, "^" + state + R"(\s+(\d+)\s)");
}

// What the kernel made, read once the closes are over.
struct KernelView {
  uint64_t time_wait = 0;     // ss time-wait
  uint64_t fin_wait2_tw = 0;  // ss fin-wait-2 timewait sockets
  uint64_t sockstat_tw = 0;   // every timewait socket
  uint64_t out_rsts = 0;      // Tcp.OutRsts delta
  bool reports_unowned_resets = false;  // tcp_send_reset fires with no socket (6.10+)
};

// What stats or serve counted over the run.
struct Counted {
  uint64_t entered = 0, fin_wait2 = 0, resets_sent = 0, resets_no_socket = 0;
  uint64_t missed = 0;  // runs of its programs the kernel skipped (each may have left out one event)
};

void expect_kernels(const Counted& c, const KernelView& k, CloseMode mode, const std::string& who) {
  // Every timewait socket the kernel made (none expires within 60 s) was counted at its hand-over:
  // `entered` is what sockstat's tw rose by; `fin_wait2` the part of it begun in the FIN_WAIT2 substate.
  expect_counted(c.entered, k.sockstat_tw, c.missed, who + ": hand-overs vs sockstat tw");
  EXPECT_LE(c.fin_wait2, c.entered) << who;
  if (peer_fin_may_follow(mode)) {
    // A FIN_WAIT2 timewait socket becomes a TIME_WAIT one when the peer's FIN arrives, inside
    // tcp_timewait_state_process(), where the kernel has no tracepoint. Here the peer closes at
    // once, so its FIN nearly always reaches the full socket first; when the ACK of our FIN comes
    // first (1 in 100 server closes on 6.18, 195 in 5,000 client closes on 6.1 under QEMU), ss has
    // as many more TIME_WAIT sockets than began as such, and as many fewer FIN-WAIT-2 ones.
    EXPECT_LE(c.entered - c.fin_wait2, k.time_wait) << who << ": TIME_WAIT hand-overs beyond ss's TIME_WAIT sockets";
    if (c.missed == 0) {
      EXPECT_EQ(c.fin_wait2 - (k.time_wait - (c.entered - c.fin_wait2)), k.fin_wait2_tw)
          << who << ": the FIN_WAIT2 hand-overs that ss does not show as FIN-WAIT-2 are its extra TIME-WAIT sockets";
    }
  } else {
    expect_counted(c.entered - c.fin_wait2, k.time_wait, c.missed, who + ": TIME_WAIT hand-overs vs ss time-wait");
    expect_counted(c.fin_wait2, k.fin_wait2_tw, c.missed, who + ": FIN_WAIT2 hand-overs vs ss fin-wait-2 timewait");
  }
  if (k.reports_unowned_resets) {
    expect_counted(c.resets_sent, k.out_rsts, c.missed, who + ": resets sent vs Tcp.OutRsts");
  } else {
    // Before 6.10 a reset for a segment no socket wanted (here: the peer's FIN to a connection
    // that tcp_max_tw_buckets left without a timewait socket) is in Tcp.OutRsts only.
    EXPECT_LE(c.resets_sent, k.out_rsts) << who;
    EXPECT_EQ(c.resets_no_socket, 0u) << who << ": this kernel reports no reset without a socket";
  }
}

class CoreClosePaths : public ::testing::TestWithParam<ClosePath> {};

TEST_P(CoreClosePaths, TimewaitSocketsAndStatesAreTheKernels) {
  TS_REQUIRE_ROOT_OR_SKIP();
  const ClosePath& path = GetParam();
  const KernelOutcome want = expected_outcome(path);
  Netns ns("close");
  // No reuse of a TIME_WAIT port by a new connect (the default allows it on loopback): every
  // timewait socket the kernel makes then stays for its 60 s, and ss counts all of them.
  ns.set_sysctl("net.ipv4.tcp_tw_reuse", "0");
  if (path.max_tw_buckets) ns.set_sysctl("net.ipv4.tcp_max_tw_buckets", std::to_string(*path.max_tw_buckets));

  Child stats({tcpsight_binary(), "stats", "--json", "--interval", "0.5"}, ns.inside());
  serve::ServeUnderTest served(ns);
  TopInTmux top(ns.name(), 120, 40, {"--interval", "0.5"});
  ASSERT_TRUE(stats.wait_for_lines(Child::Stream::out, 1, 20s)) << "no first report; stderr: " << stats.err();
  ASSERT_TRUE(served.ready()) << served.child().err();
  ASSERT_TRUE(top.wait_for_text("STATES", 20s)) << top.screen();
  const KernelCounters before = ns.kernel_counters();

  const ConnectionRun run = make_connections(ns.name(), path.loopback, path.connections, path.mode);
  ASSERT_EQ(run.client_ports.size(), path.connections);

  // The kernel's verdict. Timewait sockets appear as the last ACK of each close is processed (an
  // orphaned client's FIN may wait for a delayed ACK): wait for them, then read everything once.
  const auto settled = [&] {
    return ns.ss_count("time-wait") == want.time_wait && ns.ss_count("fin-wait-2") == want.fin_wait2 &&
           ns.ss_count("fin-wait-1") == 0 && ns.ss_count("last-ack") == 0 && ns.ss_count("closing") == 0;
  };
  ASSERT_TRUE(wait_until(settled, 10s, 50ms))
      << path.name << ": the kernel did not end as expected: " << describe(ns.ss_counts()) << "fin-wait-2 timewait "
      << ns.ss_timewait_count("fin-wait-2");
  const std::map<std::string, size_t> ss = ns.ss_counts();
  const KernelCounters after = ns.kernel_counters();
  const KernelView kernel{.time_wait = ns.ss_count("time-wait"),
                          .fin_wait2_tw = ns.ss_timewait_count("fin-wait-2"),
                          .sockstat_tw = ns.sockstat_tw(),
                          .out_rsts = static_cast<uint64_t>(after.at("Tcp.OutRsts") - before.at("Tcp.OutRsts")),
                          .reports_unowned_resets = tracepoint_arguments("tcp_send_reset") >= 3};
  const int64_t overflow = after.at("TcpExt.TCPTimeWaitOverflow") - before.at("TcpExt.TCPTimeWaitOverflow");
  report_figure("ss time-wait", static_cast<double>(kernel.time_wait));
  report_figure("ss fin-wait-2 timewait sockets", static_cast<double>(kernel.fin_wait2_tw));
  report_figure("ss fin-wait-2 full sockets", static_cast<double>(ss.at("FIN_WAIT2") - kernel.fin_wait2_tw));
  report_figure("sockstat tw", static_cast<double>(kernel.sockstat_tw));
  report_figure("Tcp.OutRsts delta", static_cast<double>(kernel.out_rsts));
  report_figure("TcpExt.TCPTimeWaitOverflow delta", static_cast<double>(overflow));
  EXPECT_EQ(kernel.sockstat_tw, kernel.time_wait + kernel.fin_wait2_tw) << "sockstat's tw counts both substates";
  EXPECT_EQ(overflow, want.tw_overflow) << "tcp_max_tw_buckets turned the rest away";
  EXPECT_EQ(ss.at("CLOSE_WAIT"), want.close_wait) << describe(ss);
  EXPECT_EQ(ss.at("CLOSE"), 0u) << "ss lists no unhashed socket";

  // 1. The counters of a stats run that saw every close, in its last report.
  const size_t seen = stats.lines(Child::Stream::out).size();
  ASSERT_TRUE(stats.wait_for_lines(Child::Stream::out, seen + 2, 10s)) << stats.err();
  SCOPED_TRACE(recursion_note(stats.pid()));
  stats.signal(SIGTERM);
  ASSERT_EQ(stats.wait(10s), 0) << stats.err();
  const auto reports = json_lines(stats.out());
  ASSERT_FALSE(reports.empty());
  const nlohmann::json& last = reports.back();
  const Counted counted{.entered = last.at("time_wait").at("entered").get<uint64_t>(),
                        .fin_wait2 = last.at("fin_wait2_handed_over").get<uint64_t>(),
                        .resets_sent = last.at("resets_sent").get<uint64_t>(),
                        .resets_no_socket = last.at("resets_sent_no_socket").get<uint64_t>(),
                        .missed = last.at("events").at("missed").get<uint64_t>()};
  report_figure("stats time_wait.entered", static_cast<double>(counted.entered));
  report_figure("stats fin_wait2_handed_over", static_cast<double>(counted.fin_wait2));
  report_figure("FIN_WAIT2 timewait sockets that became TIME_WAIT",
                static_cast<double>(kernel.time_wait) - static_cast<double>(counted.entered - counted.fin_wait2));
  expect_kernels(counted, kernel, path.mode, "stats");
  EXPECT_EQ(last.at("events").at("lost").get<uint64_t>(), 0u);

  // 2. A fresh snapshot: every state as ss counts it (ss was read just before; nothing moves, as
  // timewait sockets live 60 s and every other socket is closed or held open).
  const nlohmann::json snapshot = stats_once(ns);
  ASSERT_TRUE(snapshot.contains("sockets")) << snapshot.dump();
  for (const SsState& s : kSsStates) {
    const auto& sockets = snapshot.at("sockets");
    const uint64_t shown = sockets.contains(s.tcpsight) ? sockets.at(s.tcpsight).get<uint64_t>() : 0;
    EXPECT_EQ(shown, ss.at(s.tcpsight)) << s.tcpsight << " vs ss state " << s.ss << "; " << snapshot.dump();
  }
  EXPECT_EQ(snapshot.at("time_wait").at("count").get<uint64_t>(), kernel.time_wait);
  EXPECT_EQ(ns.ss_counts(), ss) << "the kernel moved during the snapshot";

  // 3. top's STATES panel, once a refresh has caught up with the kernel.
  const auto top_agrees = [&](const std::string& screen) {
    for (const SsState& s : kSsStates)
      if (std::string(s.tcpsight) != "CLOSE" && shown_state(screen, s.tcpsight) != ss.at(s.tcpsight)) return false;
    return true;
  };
  const auto screen = top.wait_for(top_agrees, 10s);
  EXPECT_TRUE(screen) << "no refresh of top shows the kernel's states " << describe(ss) << "\n" << top.screen();
  if (screen) {
    report_figure("top TIME_WAIT", static_cast<double>(shown_state(*screen, "TIME_WAIT").value_or(0)));
    report_figure("top FIN_WAIT2", static_cast<double>(shown_state(*screen, "FIN_WAIT2").value_or(0)));
  }

  // 4. One scrape of serve, which ran through it all. The scrape's own connection is open while
  // serve takes its snapshot: two more ESTABLISHED sockets (both ends) than ss saw before it.
  SCOPED_TRACE("serve: " + recursion_note(served.child().pid()));
  const serve::HttpReply reply = served.get("/metrics");
  ASSERT_EQ(reply.status, 200);
  const auto m = serve::samples_of(reply.body);
  const auto value = [&](const std::string& series) { return static_cast<uint64_t>(serve::sample(m, series)); };
  expect_kernels({.entered = value("tcpsight_time_wait_entered_total"),
                  .fin_wait2 = value("tcpsight_fin_wait2_orphans_total"),
                  .resets_sent = value(R"(tcpsight_resets_total{direction="sent"})"),
                  .resets_no_socket = value("tcpsight_resets_no_socket_total"),
                  .missed = value("tcpsight_events_missed_total")},
                 kernel, path.mode, "serve");
  for (const SsState& s : kSsStates) {
    if (std::string(s.tcpsight) == "CLOSE") continue;  // not a state serve reports (ss has none: above)
    const double scrape_itself = std::string(s.tcpsight) == "ESTABLISHED" ? 2 : 0;
    EXPECT_EQ(serve::sample(m, std::string("tcpsight_sockets{state=\"") + s.tcpsight + "\"}"),
              static_cast<double>(ss.at(s.tcpsight)) + scrape_itself)
        << s.tcpsight;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Paths, CoreClosePaths,
    ::testing::Values(ClosePath{"ClientCloseIpv4", CloseMode::client_first, "127.0.0.1", 100, {}},
                      ClosePath{"ClientCloseIpv6", CloseMode::client_first, "::1", 100, {}},
                      ClosePath{"ServerCloseIpv4", CloseMode::server_first, "127.0.0.1", 100, {}},
                      ClosePath{"ServerCloseIpv6", CloseMode::server_first, "::1", 100, {}},
                      ClosePath{"ResetIpv4", CloseMode::reset, "127.0.0.1", 100, {}},
                      ClosePath{"HalfCloseThenResetIpv4", CloseMode::half_close_then_reset, "127.0.0.1", 100, {}},
                      ClosePath{"HalfCloseThenResetIpv6", CloseMode::half_close_then_reset, "::1", 100, {}},
                      ClosePath{"UnreadDataIpv4", CloseMode::unread_data, "127.0.0.1", 100, {}},
                      ClosePath{"OrphanedFinWait2Ipv4", CloseMode::server_keeps_open, "127.0.0.1", 100, {}},
                      ClosePath{"OrphanedFinWait2Ipv6", CloseMode::server_keeps_open, "::1", 100, {}},
                      ClosePath{"TimeWaitOverflowIpv4", CloseMode::client_first, "127.0.0.1", 50, 10},
                      ClosePath{"TimeWaitOverflowIpv6", CloseMode::client_first, "::1", 50, 10}),
    [](const ::testing::TestParamInfo<ClosePath>& p) { return std::string(p.param.name); });

// An orphaned FIN_WAIT2 connection handed to a timewait socket becomes TIME_WAIT when the peer's FIN
// comes, which is how most active closes end on a real network (the peer's kernel acks our FIN at
// once, its application closes later). The kernel changes the substate inside the timewait socket
// (tcp_timewait_state_process) without a tracepoint; the hand-over itself was counted as entered, so
// the count equals the TIME_WAIT sockets ss shows once the FINs have come.
TEST(CoreClosePaths, FinWait2TimewaitSocketsThatGetThePeersFinWereCountedAsEntered) {
  TS_REQUIRE_ROOT_OR_SKIP();
  constexpr size_t kConnections = 50;
  Netns ns("close-gap");
  ns.set_sysctl("net.ipv4.tcp_tw_reuse", "0");
  Child stats({tcpsight_binary(), "stats", "--json", "--interval", "0.5"}, ns.inside());
  ASSERT_TRUE(stats.wait_for_lines(Child::Stream::out, 1, 20s)) << "no first report; stderr: " << stats.err();
  ConnectionRun run = make_connections(ns.name(), "127.0.0.1", kConnections, CloseMode::server_keeps_open);
  // Most of the closed clients become FIN_WAIT2 timewait sockets. One whose peer's ACK of the FIN
  // comes while close() still owns the socket (it waits in the backlog until release_sock(), under
  // load, e.g. in QEMU) stays a full FIN_WAIT2 socket with a keepalive timer instead
  // (tcp_rcv_state_process: "th->fin || sock_owned_by_user(sk)", 6.1-6.18). The peer's FIN turns
  // both kinds into TIME_WAIT, so both count; the test needs at least one of the first kind.
  ASSERT_TRUE(wait_until([&] { return ns.ss_count("fin-wait-2") == kConnections; }, 10s, 50ms))
      << describe(ns.ss_counts());
  const size_t in_timewait_sockets = ns.ss_timewait_count("fin-wait-2");
  report_figure("FIN_WAIT2 timewait sockets", static_cast<double>(in_timewait_sockets));
  ASSERT_GT(in_timewait_sockets, 0u) << "no FIN_WAIT2 socket was handed to a timewait socket";
  run.kept.clear();  // the peers close now: their FINs turn the FIN_WAIT2 timewait sockets into TIME_WAIT
  ASSERT_TRUE(wait_until([&] { return ns.ss_count("time-wait") == kConnections && ns.ss_count("last-ack") == 0; },
                         10s, 50ms))
      << describe(ns.ss_counts());
  const size_t seen = stats.lines(Child::Stream::out).size();
  ASSERT_TRUE(stats.wait_for_lines(Child::Stream::out, seen + 2, 10s)) << stats.err();
  stats.signal(SIGTERM);
  ASSERT_EQ(stats.wait(10s), 0) << stats.err();
  const auto reports = json_lines(stats.out());
  ASSERT_FALSE(reports.empty());
  const uint64_t entered = reports.back().at("time_wait").at("entered").get<uint64_t>();
  const uint64_t missed = reports.back().at("events").at("missed").get<uint64_t>();
  const size_t time_wait = ns.ss_count("time-wait");
  // Exact, unless the kernel skipped tracepoint runs (a hit while another BPF program ran on that
  // CPU: its recursion guard), which tcpsight reports as "missed" (host-wide, so a bound here):
  // with none missed the two bounds are one number.
  EXPECT_LE(entered, time_wait);
  EXPECT_GE(entered + missed, time_wait) << "entered " << entered << ", missed " << missed;
}

}  // namespace
}  // namespace tcpsight::itest
