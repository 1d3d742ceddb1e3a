// Real podman containers, each with a loopback workload of its own: `stats -A` and `serve -A`
// report each under the container's name with the figures the kernel shows inside that container
// (ss and /proc/net/snmp in its namespace).
#include <csignal>

#include "../integration/serve_test_support.hpp"
#include "podman.hpp"

namespace tcpsight::itest {
namespace {

using namespace serve;

// Inside a container: a listener on 127.0.0.1:PORT and N clients whose handshakes the firewall
// leaves half-done (the final ACK is dropped), held for a minute.
constexpr const char* kHalfOpen = R"(
import socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(64)
held = []
for _ in range(n):
    c = socket.socket()
    c.setblocking(False)
    try:
        c.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    held.append(c)
print("ready", flush=True)
time.sleep(60)
)";

uint64_t sockets_in(const nlohmann::json& report, const char* state) { return report.at("sockets").at(state).get<uint64_t>(); }

// A series of `serve -A` for one container, e.g. metric(c, "tcpsight_sockets", R"(state="TIME_WAIT")").
std::string metric(const Container& c, const std::string& family, const std::string& more) {
  return family + "{netns=\"" + std::to_string(c.netns_inode()) + "\",container=\"" + c.name() + "\"," + more + "}";
}

TEST(Containers, StatsAllNamespacesNamesEachContainerAndCountsWhatItsSsShows) {
  TS_REQUIRE_CONTAINERS_OR_SKIP();
  Container piles("tw"), half_open("syn"), resets("rst");
  Netns home("ctserve");  // where serve listens; it watches every namespace
  ServeUnderTest serve(home, "127.0.0.1:9977", {"-A", "--snapshot-cpu", "100"});
  ASSERT_TRUE(serve.ready()) << serve.child().err();
  Child stats({tcpsight_binary(), "stats", "-A", "--json", "--interval", "0.25", "--snapshot-cpu", "100"});
  const auto report_of = [&](const Container& c) { return last_namespace_report(json_lines(stats.out()), c.netns_inode()); };
  ASSERT_TRUE(wait_until([&] { return report_of(piles) && report_of(half_open) && report_of(resets); }, 60s, 100ms))
      << stats.err();

  constexpr size_t kTimeWait = 30, kHalfOpenCount = 10, kResets = 15;
  constexpr int kPort = 8080;  // each container has its own loopback: the same port in each is fine
  run_checked(piles.exec({test_tool("tcp_peer"), "--port", std::to_string(kPort), "--count",
                          std::to_string(kTimeWait), "--close", "client"}));
  half_open.in_netns({"iptables", "-w", "-A", "INPUT", "-p", "tcp", "--dport", std::to_string(kPort),
                      "--tcp-flags", "SYN,ACK,FIN,RST", "ACK", "-j", "DROP"});
  Child clients(half_open.exec({"python3", "-c", kHalfOpen, std::to_string(kPort), std::to_string(kHalfOpenCount)}));
  ASSERT_TRUE(clients.wait_for_line(Child::Stream::out, "ready", 60s)) << clients.err();
  ASSERT_TRUE(wait_until([&] { return half_open.ss_count("syn-recv") == kHalfOpenCount; }, 30s));
  const KernelCounters before = resets.kernel_counters();
  run_checked(resets.exec({test_tool("tcp_peer"), "--port", std::to_string(kPort), "--count", std::to_string(kResets),
                           "--close", "reset"}));
  const auto out_rsts = static_cast<uint64_t>(resets.kernel_counters().at("Tcp.OutRsts") - before.at("Tcp.OutRsts"));

  // None of these changes for a minute: TIME_WAIT lasts 60 s, the request sockets wait for 5
  // SYN-ACK retransmits (63 s), the reset connections are gone.
  const size_t time_wait = piles.ss_count("time-wait"), syn_recv = half_open.ss_count("syn-recv");
  ASSERT_EQ(time_wait, kTimeWait);
  const auto agrees = [&] {
    const auto p = report_of(piles), h = report_of(half_open), r = report_of(resets);
    return p && h && r && sockets_in(*p, "TIME_WAIT") == time_wait && sockets_in(*h, "SYN_RECV") == syn_recv &&
           r->at("resets_sent").get<uint64_t>() == out_rsts;
  };
  const bool agreed = wait_until(agrees, 30s, 100ms);
  const auto p = report_of(piles), h = report_of(half_open), r = report_of(resets);
  ASSERT_TRUE(p && h && r);
  EXPECT_TRUE(agreed) << p->dump() << "\n" << h->dump() << "\n" << r->dump();

  for (const auto& [c, report] : {std::pair{&piles, *p}, std::pair{&half_open, *h}, std::pair{&resets, *r}}) {
    EXPECT_EQ(report.at("name").get<std::string>(), c->name()) << "named as podman names it";
    EXPECT_EQ(report.at("kind").get<std::string>(), "podman");
    const std::string id = run_checked({"podman", "inspect", "-f", "{{.Id}}", c->name()});
    EXPECT_EQ(report.at("container_id").get<std::string>() + "\n", id);
    EXPECT_EQ(sockets_in(report, "ESTABLISHED"), c->ss_count("established")) << c->name();
    EXPECT_EQ(sockets_in(report, "LISTEN"), c->ss_count("listening")) << c->name();
  }
  // The half-open listener's queue, as the kernel counts it inside that container.
  ASSERT_EQ(h->at("listeners").size(), 1u) << h->dump();
  EXPECT_EQ(h->at("listeners")[0].at("syn_queue").get<uint64_t>(), syn_recv);
  EXPECT_EQ(h->at("listeners")[0].at("local").get<std::string>(), "127.0.0.1:" + std::to_string(kPort));
  EXPECT_EQ(r->at("resets_sent").get<uint64_t>(), kResets) << "one per aborted connection";
  EXPECT_EQ(transition_count(*p, "SYN_SENT", "ESTABLISHED"), kTimeWait);
  EXPECT_EQ(p->at("time_wait").at("entered").get<uint64_t>(), kTimeWait);
  // SYN-ACK retransmits happen only where the final ACKs are dropped.
  EXPECT_EQ(p->at("synack_retransmits").get<uint64_t>(), 0u);
  EXPECT_EQ(r->at("synack_retransmits").get<uint64_t>(), 0u);
  stats.signal(SIGTERM);
  EXPECT_EQ(stats.wait(10s), 0) << stats.err();

  // /metrics says the same of each container, under its name.
  const auto tw_series = metric(piles, "tcpsight_sockets", R"(state="TIME_WAIT")");
  const auto syn_series = metric(half_open, "tcpsight_sockets", R"(state="SYN_RECV")");
  const auto rst_series = metric(resets, "tcpsight_resets_total", R"(direction="sent")");
  std::map<std::string, double> m;
  const bool scraped = wait_until(
      [&] {
        m = samples_of(serve.get("/metrics").body);
        return sample(m, tw_series) == static_cast<double>(time_wait) &&
               sample(m, syn_series) == static_cast<double>(syn_recv) &&
               sample(m, rst_series) == static_cast<double>(out_rsts);
      },
      30s, 300ms);
  EXPECT_TRUE(scraped) << tw_series << " " << sample(m, tw_series) << "; " << syn_series << " " << sample(m, syn_series)
                       << "; " << rst_series << " " << sample(m, rst_series);
  for (const Container* c : {&piles, &half_open, &resets})
    EXPECT_EQ(sample(m, metric(*c, "tcpsight_sockets", R"(state="ESTABLISHED")")),
              static_cast<double>(c->ss_count("established")))
        << c->name();
}

}  // namespace
}  // namespace tcpsight::itest
