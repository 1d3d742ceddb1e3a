// A real Prometheus server scrapes `tcpsight serve` every second inside a private namespace while
// connections churn; its HTTP API then shows the TIME_WAIT gauge and a non-zero transition rate.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>
#include <utility>
#include <vector>

#include "harness.hpp"
#include "serve_test_support.hpp"

namespace tcpsight::itest::serve {
namespace {

using Clock = std::chrono::steady_clock;

// Whether Prometheus evaluates `promql` without an error (a result may be empty).
std::string query_error(const Netns& ns, const std::string& promql) {
  const HttpReply r = http_get(ns.name(), "127.0.0.1", 9090, "/api/v1/query?query=" + url_encode(promql), {}, 5s, true);
  const auto body = nlohmann::json::parse(r.body, nullptr, false);
  if (body.is_discarded()) return "HTTP " + std::to_string(r.status);
  return body.value("status", "") == "success" ? "" : body.value("error", "unknown error");
}

// The dashboard's queries with Grafana's variables filled in as Grafana would.
std::vector<std::string> dashboard_queries() {
  std::ifstream in(std::string(TCPSIGHT_SOURCE_DIR) + "/deploy/grafana-dashboard.json");
  const auto dashboard = nlohmann::json::parse(in);
  std::vector<std::string> out;
  for (const auto& panel : dashboard.at("panels"))
    for (const auto& target : panel.value("targets", nlohmann::json::array())) {
      std::string expr = target.at("expr").get<std::string>();
      for (const auto& [var, value] : {std::pair<std::string, std::string>{"$__rate_interval", "5s"}, {"$instance", ".*"}})
        for (size_t at; (at = expr.find(var)) != std::string::npos;) expr.replace(at, var.size(), value);
      out.push_back(expr);
    }
  return out;
}

TEST(ServePrometheus, ARealPrometheusScrapesItDuringChurnAndSeesTimeWaitAndTransitionRates) {
  TS_REQUIRE_ROOT_OR_SKIP();
  TS_REQUIRE_TOOL_OR_SKIP(prometheus, "prometheus");
  const auto deadline = Clock::now() + 120s;  // Prometheus starts slowly under emulation
  Netns ns("serve-prometheus");
  ServeUnderTest serve(ns);
  ASSERT_TRUE(serve.ready()) << serve.child().err();

  TempDir dir("serve-prometheus");
  const std::string config = dir.path() + "/prometheus.yml";
  std::ofstream(config) << "global:\n"
                           "  scrape_interval: 1s\n"
                           "  evaluation_interval: 1s\n"
                           "scrape_configs:\n"
                           "  - job_name: tcpsight\n"
                           "    scrape_timeout: 900ms\n"
                           "    static_configs:\n"
                           "      - targets: ['127.0.0.1:9977']\n";
  Child server({prometheus, "--config.file=" + config, "--storage.tsdb.path=" + dir.path() + "/data",
                "--web.listen-address=127.0.0.1:9090", "--log.level=warn"},
               ns.inside());

  const bool prometheus_ready = wait_for_prometheus(ns, 90s);
  ASSERT_TRUE(prometheus_ready) << "Prometheus did not become ready:\n" << server.err();

  const Listener listener = listen_in(ns.name(), "127.0.0.1", 128);
  std::atomic<bool> stop_churn{false};
  std::atomic<int> churned{0};
  std::thread churn([&] {
    while (!stop_churn) {
      client_closed_connections(ns.name(), listener, 10);
      churned += 10;
      std::this_thread::sleep_for(100ms);
    }
  });
  // Stops the churn on every way out of the test: an ASSERT returning early must not leave the thread
  // joinable (std::terminate would end the whole test binary).
  struct StopChurn {
    std::atomic<bool>& stop;
    std::thread& thread;
    ~StopChurn() {
      stop = true;
      if (thread.joinable()) thread.join();
    }
  } stop_churn_on_exit{stop_churn, churn};

  std::optional<double> time_wait, transition_rate, up;
  std::pair<std::string, std::string> health;
  while (Clock::now() < deadline) {
    std::this_thread::sleep_for(500ms);
    ASSERT_TRUE(server.running()) << "prometheus exited:\n" << server.err();
    time_wait = query(ns, R"(tcpsight_sockets{state="TIME_WAIT"})");
    transition_rate = query(ns, "sum(rate(tcpsight_state_transitions_total[5s]))");
    up = query(ns, R"(up{job="tcpsight"})");
    health = target_health(ns, "tcpsight");
    if (time_wait && *time_wait > 0 && transition_rate && *transition_rate > 0 && up == 1.0 && health.first == "up")
      break;
  }
  stop_churn = true;
  churn.join();

  ASSERT_TRUE(time_wait.has_value()) << "no tcpsight_sockets{state=\"TIME_WAIT\"} in Prometheus; target: "
                                     << health.first << " " << health.second << "\n" << server.err();
  EXPECT_GT(*time_wait, 0);
  ASSERT_TRUE(transition_rate.has_value());
  EXPECT_GT(*transition_rate, 0) << churned << " connections churned";
  EXPECT_EQ(up, 1.0);
  EXPECT_EQ(health.first, "up");
  EXPECT_EQ(health.second, "") << "Prometheus' last scrape error";
  const auto median_connect = query(ns, "histogram_quantile(0.5, rate(tcpsight_connect_latency_seconds_bucket[10s]))");
  ASSERT_TRUE(median_connect.has_value());
  EXPECT_GT(*median_connect, 0);
  EXPECT_LT(*median_connect, 0.1) << "loopback connects take microseconds";

  for (const std::string& q : dashboard_queries()) EXPECT_EQ(query_error(ns, q), "") << "dashboard query: " << q;

  server.signal(SIGTERM);
  EXPECT_TRUE(server.wait(15s).has_value());
}

}  // namespace
}  // namespace tcpsight::itest::serve
