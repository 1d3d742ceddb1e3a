// `tcpsight serve` scraped in a private network namespace: its numbers against the kernel's own
// (ss, /proc/net/snmp), promtool's verdict on the exposition, and format negotiation.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "harness.hpp"
#include "serve_test_support.hpp"

namespace tcpsight::itest::serve {
namespace {

// ss's Recv-Q of a listener: the connections waiting in its accept queue.
size_t ss_accept_queue(const Netns& ns, uint16_t port) {
  const std::string out = ns.run_checked({"ss", "-ltnH", "sport", "= :" + std::to_string(port)});
  std::istringstream in(out);
  std::string state;
  size_t recv_q = 0;
  in >> state >> recv_q;
  return recv_q;
}

TEST(ServeMetrics, CountsMatchTheKernelAndPromtoolAcceptsTheExposition) {
  TS_REQUIRE_ROOT_OR_SKIP();
  TS_REQUIRE_TOOL_OR_SKIP(promtool, "promtool");
  Netns ns("serve-metrics");
  // A new snapshot at every gathering: this test compares a scrape with ss taken just before it.
  // Paced to 1% of a core, a snapshot under QEMU's emulation (6.1) can be older than the previous
  // scrape, whose own connection's TIME_WAIT it then lacks.
  ServeUnderTest serve(ns, "127.0.0.1:9977", {"--snapshot-cpu", "100"});
  ASSERT_TRUE(serve.ready()) << serve.child().err();

  const Listener churn = listen_in(ns.name(), "127.0.0.1", 64);
  constexpr int kConnections = 20;
  client_closed_connections(ns.name(), churn, kConnections);
  // Three connections left waiting in another listener's accept queue.
  const Listener waiting = listen_in(ns.name(), "127.0.0.1", 16);
  std::vector<Fd> pending;
  for (int i = 0; i < 3; ++i) pending.push_back(connect_in(ns.name(), "127.0.0.1", waiting.port));

  ASSERT_EQ(serve.get("/metrics").status, 200);  // its own connection leaves one more TIME_WAIT
  std::this_thread::sleep_for(400ms);            // past the exporter's 250 ms cache
  const size_t time_wait_before = ns.ss_count("time-wait");
  const HttpReply reply = serve.get("/metrics");
  const KernelCounters kernel = ns.kernel_counters();  // no TCP connection since the gathering
  ASSERT_EQ(reply.status, 200);
  EXPECT_EQ(reply.headers.at("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  const auto m = samples_of(reply.body);

  // Sockets and queues: the snapshot against ss.
  EXPECT_EQ(time_wait_before, size_t{kConnections} + 1);
  EXPECT_EQ(sample(m, R"(tcpsight_sockets{state="TIME_WAIT"})"), static_cast<double>(time_wait_before));
  EXPECT_EQ(sample(m, R"(tcpsight_sockets{state="LISTEN"})"), 3) << "churn, waiting and the exporter's own";
  EXPECT_EQ(sample(m, "tcpsight_listen_accept_queue{local=\"127.0.0.1:" + std::to_string(waiting.port) + "\"}"), 3);
  EXPECT_EQ(ss_accept_queue(ns, waiting.port), 3u);
  EXPECT_EQ(sample(m, "tcpsight_listen_backlog{local=\"127.0.0.1:" + std::to_string(waiting.port) + "\"}"), 16);
  EXPECT_EQ(sample(m, R"(tcpsight_time_wait_remaining_seconds_count)"), static_cast<double>(time_wait_before));
  EXPECT_LE(sample(m, R"(tcpsight_time_wait_remaining_seconds_bucket{le="60.0"})"), static_cast<double>(time_wait_before));
  EXPECT_GT(sample(m, R"(tcpsight_time_wait_remaining_seconds_bucket{le="60.0"})"), 0);

  // Transitions: the tracepoint counters against the kernel's SNMP counters of this namespace.
  const double active_opens = static_cast<double>(kernel.at("Tcp.ActiveOpens"));
  const double passive_opens = static_cast<double>(kernel.at("Tcp.PassiveOpens"));
  EXPECT_EQ(active_opens, kConnections + 3 + 2) << "our connections and both scrapes";
  EXPECT_EQ(sample(m, "tcpsight_netstat_active_opens_total"), active_opens);
  EXPECT_EQ(sample(m, "tcpsight_netstat_passive_opens_total"), passive_opens);
  EXPECT_EQ(sample(m, R"(tcpsight_state_transitions_total{from="CLOSE",to="SYN_SENT"})"), active_opens);
  EXPECT_EQ(sample(m, R"(tcpsight_state_transitions_total{from="SYN_SENT",to="ESTABLISHED"})"), active_opens);
  EXPECT_EQ(sample(m, R"(tcpsight_state_transitions_total{from="SYN_RECV",to="ESTABLISHED"})"), passive_opens);
  EXPECT_EQ(sample(m, R"(tcpsight_state_transitions_total{from="FIN_WAIT2",to="CLOSE"})"), kConnections + 1);
  EXPECT_EQ(sample(m, "tcpsight_time_wait_entered_total"), static_cast<double>(time_wait_before));
  EXPECT_EQ(sample(m, "tcpsight_connect_latency_seconds_count"), active_opens);
  EXPECT_EQ(sample(m, R"(tcpsight_connect_latency_seconds_bucket{le="+Inf"})"), active_opens);
  EXPECT_EQ(sample(m, "tcpsight_events_lost_total"), 0);
  double retransmits = 0;
  for (const auto& [series, value] : m)
    if (series.starts_with("tcpsight_retransmits_total{")) retransmits += value;
  EXPECT_EQ(retransmits, static_cast<double>(kernel.at("Tcp.RetransSegs")));

  // promtool's linter on the live scrape.
  const std::string path = "/tmp/ts-serve-scrape-" + std::to_string(getpid()) + ".prom";
  std::ofstream(path) << reply.body;
  const CommandResult check = run_command({"sh", "-c", promtool + " check metrics < " + path});
  std::filesystem::remove(path);
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_EQ(check.out + check.err, "") << "promtool printed lint findings";
}

TEST(ServeMetrics, NoHistogramsLeavesOutTheTimingHistogramsAndCountsTheRest) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns ns("serve-lean");
  ServeUnderTest full(ns);
  ServeUnderTest lean(ns, "127.0.0.1:9978", {"--no-histograms"});
  ASSERT_TRUE(full.ready()) << full.child().err();
  ASSERT_TRUE(lean.ready()) << lean.child().err();

  const Listener churn = listen_in(ns.name(), "127.0.0.1", 64);
  constexpr int kConnections = 10;
  client_closed_connections(ns.name(), churn, kConnections);
  const auto with = samples_of(full.get("/metrics").body);
  const auto without = samples_of(lean.get("/metrics").body);

  // Both count every connection opened in the namespace (the scrapes' own included).
  const std::string opens = R"(tcpsight_state_transitions_total{from="SYN_SENT",to="ESTABLISHED"})";
  EXPECT_GE(sample(without, opens), kConnections);
  EXPECT_GE(sample(with, "tcpsight_connect_latency_seconds_count"), kConnections);
  EXPECT_FALSE(without.count("tcpsight_connect_latency_seconds_count")) << "not measured: not shown";
  EXPECT_FALSE(without.count("tcpsight_connection_duration_seconds_count"));
  EXPECT_TRUE(without.count(R"(tcpsight_sockets{state="TIME_WAIT"})"));
}

TEST(ServeMetrics, OpenMetricsWhenTheScraperAsksForIt) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns ns("serve-om");
  ServeUnderTest serve(ns);
  ASSERT_TRUE(serve.ready()) << serve.child().err();
  const HttpReply om = serve.get(
      "/metrics", {"Accept: application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
                   "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"});
  ASSERT_EQ(om.status, 200);
  EXPECT_EQ(om.headers.at("content-type"), "application/openmetrics-text; version=1.0.0; charset=utf-8");
  EXPECT_TRUE(om.body.ends_with("\n# EOF\n"));
  EXPECT_NE(om.body.find("# TYPE tcpsight_state_transitions counter\n"), std::string::npos);
  EXPECT_NE(om.body.find("# TYPE tcpsight_time_wait_remaining_seconds gaugehistogram\n"), std::string::npos);

  const HttpReply text = serve.get("/metrics", {"Accept: text/plain"});
  ASSERT_EQ(text.status, 200);
  EXPECT_EQ(text.headers.at("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(text.body.find("# EOF"), std::string::npos);
}

TEST(ServeMetrics, IndexPageLinksMetricsAndHealthz) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns ns("serve-index");
  ServeUnderTest serve(ns, "[::1]:9977");
  ASSERT_TRUE(serve.ready()) << serve.child().err();
  const HttpReply index = serve.get("/");
  ASSERT_EQ(index.status, 200);
  EXPECT_EQ(index.headers.at("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(index.body.find("href=\"metrics\""), std::string::npos);
  EXPECT_NE(index.body.find("href=\"healthz\""), std::string::npos);
  const HttpReply health = serve.get("/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "ok\n");
  const HttpReply metrics = serve.get("/metrics?ignored=1");
  EXPECT_EQ(metrics.status, 200) << "served on IPv6 loopback, query strings ignored";
  EXPECT_EQ(sample(samples_of(metrics.body), R"(tcpsight_sockets{state="LISTEN"})"), 1);
}

}  // namespace
}  // namespace tcpsight::itest::serve
