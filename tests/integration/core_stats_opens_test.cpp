// `stats --json` counts every connection opened in its namespace, exactly as the kernel does:
// CLOSE→SYN_SENT equals TcpActiveOpens, LISTEN→SYN_RECV equals TcpPassiveOpens.
#include <csignal>

#include "harness.hpp"

namespace tcpsight::itest {
namespace {

constexpr size_t kConnections = 1000;

void expect_opens_counted(const std::string& loopback) {
  Netns ns("opens");
  const KernelCounters before = ns.kernel_counters();
  Child stats({tcpsight_binary(), "stats", "--json", "--interval", "0.2"}, ns.inside());
  ASSERT_TRUE(stats.wait_for_lines(Child::Stream::out, 1, 20s)) << "no first report; stderr: " << stats.err();

  const ConnectionRun run = make_connections(ns.name(), loopback, kConnections, CloseMode::client_first);
  ASSERT_EQ(run.client_ports.size(), kConnections);

  // Let at least one full report follow the last connection, then stop and read the last report.
  const size_t seen = stats.lines(Child::Stream::out).size();
  ASSERT_TRUE(stats.wait_for_lines(Child::Stream::out, seen + 2, 10s)) << stats.err();
  SCOPED_TRACE(recursion_note(stats.pid()));
  stats.signal(SIGTERM);
  ASSERT_EQ(stats.wait(10s), 0) << stats.err();
  const KernelCounters after = ns.kernel_counters();

  const auto reports = json_lines(stats.out());
  ASSERT_FALSE(reports.empty());
  const nlohmann::json& last = reports.back();
  const int64_t active_opens = after.at("Tcp.ActiveOpens") - before.at("Tcp.ActiveOpens");
  const int64_t passive_opens = after.at("Tcp.PassiveOpens") - before.at("Tcp.PassiveOpens");

  report_figure("Tcp.ActiveOpens delta", static_cast<double>(active_opens));
  report_figure("CLOSE->SYN_SENT", static_cast<double>(transition_count(last, "CLOSE", "SYN_SENT")));
  report_figure("Tcp.PassiveOpens delta", static_cast<double>(passive_opens));
  report_figure("LISTEN->SYN_RECV", static_cast<double>(transition_count(last, "LISTEN", "SYN_RECV")));
  EXPECT_EQ(active_opens, static_cast<int64_t>(kConnections)) << "the kernel's own count of connects";
  EXPECT_EQ(passive_opens, static_cast<int64_t>(kConnections));
  EXPECT_EQ(transition_count(last, "CLOSE", "SYN_SENT"), kConnections) << last.dump();
  EXPECT_EQ(transition_count(last, "LISTEN", "SYN_RECV"), kConnections) << last.dump();
  EXPECT_EQ(static_cast<int64_t>(transition_count(last, "CLOSE", "SYN_SENT")), active_opens);
  EXPECT_EQ(static_cast<int64_t>(transition_count(last, "LISTEN", "SYN_RECV")), passive_opens);
  EXPECT_EQ(last.at("events").at("lost").get<uint64_t>(), 0u) << last.dump();
}

TEST(CoreStats, CountsEveryIpv4LoopbackOpenAsTheKernelDoes) {
  TS_REQUIRE_ROOT_OR_SKIP();
  expect_opens_counted("127.0.0.1");
}

TEST(CoreStats, CountsEveryIpv6LoopbackOpenAsTheKernelDoes) {
  TS_REQUIRE_ROOT_OR_SKIP();
  expect_opens_counted("::1");
}

}  // namespace
}  // namespace tcpsight::itest
