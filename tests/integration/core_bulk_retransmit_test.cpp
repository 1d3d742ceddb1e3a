// A bulk transfer through random drops at the receiver: every segment the sender's kernel counts as
// retransmitted (Tcp.RetransSegs of its namespace) is counted by `stats` and carried in the "segs"
// of `trace --json`'s retransmit events, GSO buffers included (one event, many segments).
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <netinet/tcp.h>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"

namespace tcpsight::itest {
namespace {

constexpr size_t kBytes = 24u << 20;  // 24 MiB
constexpr const char* kDropProbability = "0.03";

struct Family {
  const char* name;
  const char* sender_cidr;
  const char* receiver_cidr;
  bool ipv6;
};

std::string address_of(const char* cidr) {
  const std::string c = cidr;
  return c.substr(0, c.find('/'));
}

class CoreBulkRetransmit : public ::testing::TestWithParam<Family> {};

TEST_P(CoreBulkRetransmit, RetransmittedSegmentsEqualTcpRetransSegs) {
  TS_REQUIRE_ROOT_OR_SKIP();
  const Family& f = GetParam();
  const std::string sender_addr = address_of(f.sender_cidr), receiver_addr = address_of(f.receiver_cidr);
  Netns sender_ns("bulk-s");
  Netns receiver_ns("bulk-r");
  connect_veth(sender_ns, f.sender_cidr, receiver_ns, f.receiver_cidr);

  Fd listener, sender, receiver;
  run_in_netns(receiver_ns.name(), [&] { listener = tcp_listen(receiver_addr, 0); });
  const uint16_t port = local_port(listener);
  run_in_netns(sender_ns.name(), [&] { sender = tcp_connect(receiver_addr, port); });
  receiver = tcp_accept(listener);

  // Both watch the sender's namespace, where the retransmissions happen. The connection is open
  // already: the window holds no handshake, so no SYN or SYN-ACK retransmission.
  Child stats({tcpsight_binary(), "stats", "--json", "--interval", "0.5"}, sender_ns.inside());
  Child trace({tcpsight_binary(), "trace", "--json"}, sender_ns.inside());
  ASSERT_TRUE(stats.wait_for_lines(Child::Stream::out, 1, 20s)) << "no first report: " << stats.err();
  ASSERT_TRUE(trace.wait_for_line(Child::Stream::err, "tracing", 20s)) << trace.err();
  const KernelCounters before = sender_ns.kernel_counters();

  FirewallRule drop(receiver_ns,
                    {"INPUT", "-p", "tcp", "-s", sender_addr, "--dport", std::to_string(port), "-m", "statistic",
                     "--mode", "random", "--probability", kDropProbability, "-j", "DROP"},
                    f.ipv6);
  size_t received = 0;
  std::thread reader([&] {
    std::vector<char> buf(1 << 16);
    for (ssize_t n; (n = read(receiver.get(), buf.data(), buf.size())) > 0;) received += static_cast<size_t>(n);
  });
  const std::vector<char> chunk(1 << 16, 'x');
  size_t sent = 0;
  while (sent < kBytes) {
    const ssize_t n = write(sender.get(), chunk.data(), std::min(chunk.size(), kBytes - sent));
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  shutdown(sender.get(), SHUT_WR);
  reader.join();
  ASSERT_EQ(sent, kBytes);
  ASSERT_EQ(received, kBytes);
  // FIN_WAIT2: the receiver acked every byte and the FIN, so the sender has nothing left to
  // retransmit; its counters are final.
  ASSERT_TRUE(wait_for_tcp_state(sender, TCP_FIN_WAIT2, 30s)) << "sender in state " << tcp_state(sender);
  const KernelCounters after = sender_ns.kernel_counters();
  const auto delta = [&](const std::string& c) { return after.at(c) - before.at(c); };
  const int64_t kernel = delta("Tcp.RetransSegs");
  report_figure("Tcp.RetransSegs delta", static_cast<double>(kernel));
  report_figure("TcpExt.TCPRetransFail delta", static_cast<double>(delta("TcpExt.TCPRetransFail")));
  ASSERT_EQ(delta("TcpExt.TCPSynRetrans"), 0) << "RetransSegs holds no SYN or SYN-ACK retransmission here";
  ASSERT_GT(kernel, 0) << "the drops made no retransmission";

  // stats: the report after the window.
  const size_t seen = stats.lines(Child::Stream::out).size();
  ASSERT_TRUE(stats.wait_for_lines(Child::Stream::out, seen + 2, 10s)) << stats.err();
  const std::string note = recursion_note(stats.pid());
  stats.signal(SIGTERM);
  ASSERT_EQ(stats.wait(10s), 0) << stats.err();
  const auto reports = json_lines(stats.out());
  ASSERT_FALSE(reports.empty());
  const auto counted = reports.back().at("retransmits").get<uint64_t>();
  report_figure("stats retransmits", static_cast<double>(counted));
  // A skipped run (the kernel's recursion guard) leaves out one buffer: at most 64 KiB of segments.
  constexpr uint64_t kSegmentsPerBuffer = 64;
  expect_counted(counted, static_cast<uint64_t>(kernel), reports.back().at("events").at("missed").get<uint64_t>(),
                 "stats retransmits vs Tcp.RetransSegs delta; " + note, kSegmentsPerBuffer);

  // trace: the segments of its retransmit events, once it has shown them all.
  const auto retransmits = [](const std::vector<nlohmann::json>& events) {
    std::vector<nlohmann::json> out;
    for (const auto& e : events)
      if (e.value("kind", "") == "retransmit") out.push_back(e);
    return out;
  };
  const auto segments = [](const std::vector<nlohmann::json>& events) {
    int64_t sum = 0;
    for (const auto& e : events) sum += e.value("segs", int64_t{0});
    return sum;
  };
  wait_until([&] { return segments(retransmits(json_lines(trace.out()))) >= kernel; }, 10s, 100ms);
  trace.signal(SIGTERM);
  ASSERT_EQ(trace.wait(10s), 0) << trace.err();
  const auto events = retransmits(json_lines(trace.out()));
  const int64_t traced = segments(events);
  const auto multi = std::count_if(events.begin(), events.end(), [](const auto& e) { return e.value("segs", 0) > 1; });
  int64_t max_segs = 0;
  for (const auto& e : events) max_segs = std::max(max_segs, e.value("segs", int64_t{0}));
  report_figure("trace retransmit events", static_cast<double>(events.size()));
  report_figure("trace retransmit segs", static_cast<double>(traced));
  report_figure("trace events with segs > 1", static_cast<double>(multi));
  report_figure("trace largest segs", static_cast<double>(max_segs));
  EXPECT_NE(trace.err().find(" 0 not written, 0 dropped by the ring buffer"), std::string::npos) << trace.err();
  expect_counted(static_cast<uint64_t>(traced), static_cast<uint64_t>(kernel), trace_missed(trace.err()),
                 "trace's sum of segs vs Tcp.RetransSegs delta", kSegmentsPerBuffer);
  // The veth passes the sender's GSO buffers whole, so a drop at the receiver loses many segments
  // at once and their retransmission is one buffer of several segments.
  EXPECT_GT(multi, 0) << "no retransmitted buffer held more than one segment";
  const std::string local = f.ipv6 ? "[" + sender_addr + "]" : sender_addr;
  const std::string remote = (f.ipv6 ? "[" + receiver_addr + "]" : receiver_addr) + ":" + std::to_string(port);
  for (const auto& e : events) {
    EXPECT_EQ(e.value("remote", ""), remote) << e.dump();
    EXPECT_EQ(e.value("local", "").rfind(local + ":", 0), 0u) << e.dump();
  }
}

INSTANTIATE_TEST_SUITE_P(Families, CoreBulkRetransmit,
                         ::testing::Values(Family{"Ipv4", "10.203.1.1/24", "10.203.1.2/24", false},
                                           Family{"Ipv6", "fd00:203::1/64", "fd00:203::2/64", true}),
                         [](const ::testing::TestParamInfo<Family>& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace tcpsight::itest
