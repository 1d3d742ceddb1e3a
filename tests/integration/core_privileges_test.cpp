// Least privilege for `stats` and `trace` (serve's and top's are in their own tests): once their
// programs are loaded and attached they hold no capability (with -A only what naming or entering
// namespaces needs), and what they report afterwards still equals what the kernel says.
#include <unistd.h>

#include <csignal>

#include "harness.hpp"

namespace tcpsight::itest {
namespace {

TEST(CoreStatsPrivileges, AfterStartUpStatsHoldsNoCapabilityAndStillCountsWhatSsCounts) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns ns("stats-privileges");
  Child stats({tcpsight_binary(), "stats", "--json", "--interval", "0.2", "--detail", "owners"}, ns.inside());
  ASSERT_TRUE(stats.wait_for_lines(Child::Stream::out, 1, 20s)) << "no first report; stderr: " << stats.err();
  EXPECT_EQ(proc_status_field(stats.pid(), "CapEff"), "0000000000000000");
  EXPECT_EQ(proc_status_field(stats.pid(), "CapPrm"), "0000000000000000");
  EXPECT_EQ(proc_status_field(stats.pid(), "NoNewPrivs"), "1");

  // Made after the drop: new snapshots, new transitions, and sockets held by this process.
  constexpr size_t kConnections = 20;
  const ConnectionRun run = make_connections(ns.name(), "127.0.0.1", kConnections, CloseMode::client_first);
  Fd listener, held;
  run_in_netns(ns.name(), [&] {
    listener = tcp_listen("127.0.0.1", 0, 4);
    held = tcp_connect("127.0.0.1", local_port(listener));
  });
  const std::map<std::string, size_t> ss = ns.ss_counts();
  std::string why;
  const bool matched = wait_until(
      [&] {
        const auto reports = json_lines(stats.out());
        if (reports.empty()) return false;
        const nlohmann::json& last = reports.back();
        for (const SsState& s : kSsStates) {
          if (std::string(s.tcpsight) == "CLOSE") continue;
          const auto counted = last.at("sockets").value(s.tcpsight, uint64_t{0});
          if (counted != ss.at(s.tcpsight)) {
            why = std::string(s.tcpsight) + " " + std::to_string(counted) + ", ss " + std::to_string(ss.at(s.tcpsight));
            return false;
          }
        }
        why = "transitions";
        return transition_count(last, "CLOSE", "SYN_SENT") == kConnections + 1 &&
               transition_count(last, "FIN_WAIT2", "CLOSE") == kConnections;
      },
      10s, 100ms);
  EXPECT_TRUE(matched) << why << "\n" << stats.out().substr(stats.out().rfind('\n', stats.out().size() - 2) + 1);
  // The owner scan (an iterator over every task's files) still names this process as the holder.
  EXPECT_TRUE(wait_until([&] { return stats.out().find("\"pid\":" + std::to_string(getpid())) != std::string::npos; },
                         10s, 100ms))
      << "the held connection's owner is not listed";
  stats.signal(SIGTERM);
  EXPECT_EQ(stats.wait(10s), 0) << stats.err();
}

TEST(CoreStatsPrivileges, WithAllNamespacesOnlyWhatEnteringThemNeedsIsKept) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns ns("stats-privileges-all");
  Child stats({tcpsight_binary(), "stats", "-A", "--json", "--interval", "0.2"});
  ASSERT_TRUE(stats.wait_for_lines(Child::Stream::out, 1, 20s)) << "no first report; stderr: " << stats.err();
  // CAP_DAC_READ_SEARCH (2), CAP_SYS_PTRACE (19), CAP_SYS_ADMIN (21).
  EXPECT_EQ(proc_status_field(stats.pid(), "CapEff"), "0000000000280004");
  // Entering a namespace made after the drop still works: its TIME_WAIT sockets are counted.
  make_connections(ns.name(), "127.0.0.1", 5, CloseMode::client_first);
  const uint32_t inode = ns.inode();
  EXPECT_TRUE(wait_until(
      [&] {
        const auto report = last_namespace_report(json_lines(stats.out()), inode);
        return report && report->at("sockets").value("TIME_WAIT", uint64_t{0}) == ns.ss_count("time-wait");
      },
      15s, 100ms))
      << "no report on the new namespace equals ss; stderr: " << stats.err();
  stats.signal(SIGTERM);
  EXPECT_EQ(stats.wait(10s), 0) << stats.err();
}

TEST(CoreStatsPrivileges, ACapabilityItWasNotGivenIsGoneWithoutFailingTheRun) {
  TS_REQUIRE_ROOT_OR_SKIP();
  // Started as a service whose bounding set lacks CAP_DAC_READ_SEARCH (systemd's
  // CapabilityBoundingSet=): stats -A keeps the other two and runs.
  Child stats({"setpriv", "--bounding-set=-dac_read_search", tcpsight_binary(), "stats", "-A", "--json", "--interval",
               "0.2"});
  ASSERT_TRUE(stats.wait_for_lines(Child::Stream::out, 2, 20s)) << "no reports; stderr: " << stats.err();
  EXPECT_EQ(proc_status_field(stats.pid(), "CapEff"), "0000000000280000");  // CAP_SYS_PTRACE, CAP_SYS_ADMIN
  stats.signal(SIGTERM);
  EXPECT_EQ(stats.wait(10s), 0) << stats.err();
}

TEST(CoreTracePrivileges, AfterStartUpTraceHoldsNoCapabilityAndStillStreamsEveryTransition) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns ns("trace-privileges");
  Child trace({tcpsight_binary(), "trace", "--json"}, ns.inside());
  ASSERT_TRUE(trace.wait_for_line(Child::Stream::err, "tracing", 20s)) << trace.err();
  EXPECT_EQ(proc_status_field(trace.pid(), "CapEff"), "0000000000000000");
  EXPECT_EQ(proc_status_field(trace.pid(), "NoNewPrivs"), "1");
  constexpr size_t kConnections = 10;
  const KernelCounters before = ns.kernel_counters();
  make_connections(ns.name(), "127.0.0.1", kConnections, CloseMode::client_first);
  const KernelCounters after = ns.kernel_counters();
  // Ten state events per connection (five per side), as the kernel makes them.
  ASSERT_TRUE(trace.wait_for_lines(Child::Stream::out, kConnections * 10, 10s)) << trace.err();
  trace.signal(SIGTERM);
  ASSERT_EQ(trace.wait(10s), 0) << trace.err();
  size_t connects = 0;
  for (const auto& e : json_lines(trace.out()))
    if (e.value("kind", "") == "state" && e.value("old", "") == "CLOSE" && e.value("new", "") == "SYN_SENT") ++connects;
  EXPECT_EQ(static_cast<int64_t>(connects), after.at("Tcp.ActiveOpens") - before.at("Tcp.ActiveOpens"));
}

TEST(CoreTracePrivileges, NamingNamespacesKeepsOnlyWhatReadingOtherProcessesNeeds) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Child trace({tcpsight_binary(), "trace", "-A", "--json"});
  ASSERT_TRUE(trace.wait_for_line(Child::Stream::err, "tracing", 20s)) << trace.err();
  EXPECT_EQ(proc_status_field(trace.pid(), "CapEff"), "0000000000080004");  // DAC_READ_SEARCH, SYS_PTRACE
  trace.signal(SIGTERM);
  EXPECT_EQ(trace.wait(10s), 0) << trace.err();
}

}  // namespace
}  // namespace tcpsight::itest
