// Half-open connections (the client's final ACK is dropped) live only as request sockets: no state
// event, but the census and the listener's SYN queue must show them as `ss` does, and every SYN-ACK
// retransmission must be counted as the kernel counts it (TcpExt.TCPSynRetrans).
#include <csignal>
#include <vector>

#include "harness.hpp"

namespace tcpsight::itest {
namespace {

constexpr size_t kHalfOpen = 500;
constexpr const char* kClientAddr = "10.200.1.1";
constexpr const char* kServerAddr = "10.200.1.2";

const nlohmann::json* find_listener(const nlohmann::json& report, const std::string& local) {
  for (const auto& l : report.at("listeners"))
    if (l.value("local", "") == local) return &l;
  return nullptr;
}

TEST(CoreStats, HalfOpenConnectionsMatchSsAndSynAckRetransmitsMatchTheKernel) {
  TS_REQUIRE_ROOT_OR_SKIP();
  HalfOpenServer half_open("halfopen", kClientAddr, kServerAddr);
  Netns& client_ns = half_open.client_ns;
  Netns& server_ns = half_open.server_ns;
  const uint16_t port = half_open.port;

  Child stats({tcpsight_binary(), "stats", "--json", "--interval", "0.5"}, server_ns.inside());
  ASSERT_TRUE(stats.wait_for_lines(Child::Stream::out, 1, 20s)) << "no first report; stderr: " << stats.err();
  const KernelCounters before = server_ns.kernel_counters();

  std::vector<Fd> clients;
  run_in_netns(client_ns.name(), [&] {
    for (size_t i = 0; i < kHalfOpen; ++i) clients.push_back(tcp_connect(kServerAddr, port, /*nonblocking=*/true));
  });
  const size_t ss_ready = server_ns.wait_for_ss_count("syn-recv", kHalfOpen, 10s);
  ASSERT_GE(ss_ready, kHalfOpen) << "the kernel did not keep the half-open connections";

  // The census, between two `ss` counts.
  const size_t ss_before = server_ns.ss_count("syn-recv");
  const nlohmann::json snapshot = stats_once(server_ns);
  const size_t ss_after = server_ns.ss_count("syn-recv");
  ASSERT_TRUE(snapshot.contains("sockets")) << snapshot.dump();
  const auto syn_recv = snapshot.at("sockets").at("SYN_RECV").get<uint64_t>();
  report_figure("ss syn-recv before", static_cast<double>(ss_before));
  report_figure("stats sockets.SYN_RECV", static_cast<double>(syn_recv));
  report_figure("ss syn-recv after", static_cast<double>(ss_after));
  for (size_t ss : {ss_before, ss_after})
    EXPECT_TRUE(within_fraction(static_cast<double>(syn_recv), static_cast<double>(ss), 0.02))
        << "stats SYN_RECV " << syn_recv << " vs ss syn-recv " << ss;
  const std::string local = std::string(kServerAddr) + ":" + std::to_string(port);
  const nlohmann::json* queues = find_listener(snapshot, local);
  ASSERT_NE(queues, nullptr) << "listener " << local << " missing: " << snapshot.at("listeners").dump();
  const auto syn_queue = queues->at("syn_queue").get<uint64_t>();
  report_figure("listener syn_queue", static_cast<double>(syn_queue));
  EXPECT_TRUE(within_fraction(static_cast<double>(syn_queue), static_cast<double>(ss_before), 0.02))
      << "syn_queue " << syn_queue << " vs ss syn-recv " << ss_before;
  EXPECT_EQ(queues->at("accept_queue").get<uint64_t>(), 0u) << "no handshake completed";

  // SYN-ACKs are retransmitted in rounds (1 s, 3 s, 7 s ... after the SYN). Compare in a quiet moment
  // between two rounds, however slow the machine: a report whose counter reading came after one
  // reading of the kernel's counter and before a second, equal one. Stats reads its counters, then
  // stamps ("time") and prints a report, in turn; so the report after one stamped later than the
  // first kernel reading was read later still, and it was printed before the second reading if it
  // arrived before it. (Counting lines instead is not enough: a line printed before the first
  // reading can still be in the pipe then, seen once under a slow emulated CPU.)
  const auto synretrans = [&] { return server_ns.kernel_counters().at("TcpExt.TCPSynRetrans"); };
  const auto report_time = [&](size_t i) {
    return nlohmann::json::parse(stats.lines(Child::Stream::out).at(i)).at("time").get<double>();
  };
  int64_t kernel_now = 0;
  size_t report_line = 0;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    const int64_t k1 = synretrans();
    const double k1_read = wall_seconds_now();
    size_t stamped_after = stats.lines(Child::Stream::out).size();
    for (;;) {
      ASSERT_TRUE(stats.wait_for_lines(Child::Stream::out, stamped_after + 1, 10s)) << stats.err();
      if (report_time(stamped_after) >= k1_read) break;
      ++stamped_after;
    }
    ASSERT_TRUE(stats.wait_for_lines(Child::Stream::out, stamped_after + 2, 10s)) << stats.err();
    const int64_t k2 = synretrans();
    if (k1 == k2 && k1 - before.at("TcpExt.TCPSynRetrans") >= static_cast<int64_t>(kHalfOpen)) {
      kernel_now = k2, report_line = stamped_after + 1;
      break;
    }
  }
  ASSERT_GT(report_line, 0u) << "no quiet moment between SYN-ACK retransmit rounds in 60 s";
  SCOPED_TRACE(recursion_note(stats.pid()));
  stats.signal(SIGTERM);
  ASSERT_EQ(stats.wait(10s), 0) << stats.err();

  const auto reports = json_lines(stats.out());
  ASSERT_GT(reports.size(), report_line);
  const auto first = reports.front().at("synack_retransmits").get<uint64_t>();
  const auto last = reports.at(report_line).at("synack_retransmits").get<uint64_t>();
  const int64_t kernel = kernel_now - before.at("TcpExt.TCPSynRetrans");
  report_figure("synack_retransmits", static_cast<double>(last));
  report_figure("TcpExt.TCPSynRetrans delta", static_cast<double>(kernel));
  EXPECT_GT(last, first) << "synack_retransmits should grow";
  EXPECT_GE(last, kHalfOpen) << "each half-open connection had its SYN-ACK retransmitted at least once";
  EXPECT_EQ(static_cast<int64_t>(last), kernel) << "TcpExt.TCPSynRetrans delta in the server namespace";
  EXPECT_EQ(transition_count(reports.at(report_line), "LISTEN", "SYN_RECV"), 0u) << "request sockets make no state event";

  for (Fd& c : clients) close_with_reset(c);
}

}  // namespace
}  // namespace tcpsight::itest
