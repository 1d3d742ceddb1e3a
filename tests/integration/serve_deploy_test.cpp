// deploy/: the alerting rules, their unit tests and the scrape config pass promtool; the dashboard
// and the rules use only metrics tcpsight exports (with and without -A); the systemd unit is valid and its capability
// set (no root) is enough to serve.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "harness.hpp"
#include "serve_test_support.hpp"

namespace tcpsight::itest::serve {
namespace {

std::string deploy_file(const std::string& name) { return std::string(TCPSIGHT_SOURCE_DIR) + "/deploy/" + name; }

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Every PromQL expression of the dashboard's panels.
std::vector<std::string> dashboard_expressions() {
  const auto dashboard = nlohmann::json::parse(read_text(deploy_file("grafana-dashboard.json")));
  std::vector<std::string> exprs;
  for (const auto& panel : dashboard.at("panels"))
    if (panel.contains("targets"))
      for (const auto& target : panel["targets"]) exprs.push_back(target.at("expr").get<std::string>());
  return exprs;
}

std::set<std::string> metric_names_in(const std::string& text) {
  std::set<std::string> names;
  static const std::regex metric(R"(\btcpsight_[a-z0-9_]+)");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), metric); it != std::sregex_iterator(); ++it)
    names.insert(it->str());
  return names;
}

// A directory under /tmp that other users may read, removed with its contents.
class SharedTempDir {
 public:
  SharedTempDir() {
    std::string pattern = "/tmp/ts-serve-deploy-XXXXXX";
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
    chmod(path_.c_str(), 0755);
  }
  ~SharedTempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(ServeDeploy, PromtoolAcceptsTheRulesTheirUnitTestsAndTheScrapeConfig) {
  TS_REQUIRE_TOOL_OR_SKIP(promtool, "promtool");
  const CommandResult rules = run_command({promtool, "check", "rules", deploy_file("tcpsight-alerts.yml")});
  EXPECT_EQ(rules.exit_code, 0) << rules.out << rules.err;
  const CommandResult tests = run_command({promtool, "test", "rules", deploy_file("tcpsight-alerts.test.yml")});
  EXPECT_EQ(tests.exit_code, 0) << tests.out << tests.err;
  const CommandResult config = run_command({promtool, "check", "config", deploy_file("prometheus.yml")});
  EXPECT_EQ(config.exit_code, 0) << config.out << config.err;
}

TEST(ServeDeploy, DashboardAndAlertsUseOnlyMetricsTheExporterServes) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns ns("serve-deploy-names");
  // --connection-durations: the dashboard's duration panel needs the opt-in histogram.
  ServeUnderTest serve(ns, "127.0.0.1:9977", {"--connection-durations"});
  ASSERT_TRUE(serve.ready()) << serve.child().err();
  const HttpReply scrape = serve.get("/metrics");
  ASSERT_EQ(scrape.status, 200);
  // Every family has a sample here; tcpsight_ephemeral_ports_used too: this scrape's own connection
  // holds an ephemeral port toward the exporter.
  std::set<std::string> served = sample_names(scrape.body);
  // The per-container panels and rules use what serve -A adds (the same families, labelled, and
  // tcpsight_namespaces*).
  ServeUnderTest all(ns, "127.0.0.1:9978", {"-A"});
  ASSERT_TRUE(all.ready()) << all.child().err();
  const HttpReply all_scrape = all.get("/metrics");
  ASSERT_EQ(all_scrape.status, 200);
  const std::set<std::string> served_all = sample_names(all_scrape.body);
  for (const char* name : {"tcpsight_namespaces", "tcpsight_namespaces_entered_total",
                           "tcpsight_namespaces_failed_total", "tcpsight_netns_counter_overflow_total"})
    EXPECT_TRUE(served_all.count(name)) << "serve -A serves " << name;
  served.insert(served_all.begin(), served_all.end());

  std::string dashboard_text;
  for (const auto& e : dashboard_expressions()) dashboard_text += e + "\n";
  const auto used_by_dashboard = metric_names_in(dashboard_text);
  const auto used_by_alerts = metric_names_in(read_text(deploy_file("tcpsight-alerts.yml")));
  EXPECT_GE(used_by_dashboard.size(), 15u);
  EXPECT_GE(used_by_alerts.size(), 8u);
  for (const auto& name : used_by_dashboard) EXPECT_TRUE(served.count(name)) << "dashboard uses " << name;
  for (const auto& name : used_by_alerts) EXPECT_TRUE(served.count(name)) << "alerts use " << name;
}

TEST(ServeDeploy, DashboardShowsTimeWaitRetransmitsAndListenOverflowsPerContainer) {
  const auto dashboard = nlohmann::json::parse(read_text(deploy_file("grafana-dashboard.json")));
  std::map<std::string, std::string> by_title;
  std::set<int> ids;
  for (const auto& panel : dashboard.at("panels")) {
    EXPECT_TRUE(ids.insert(panel.at("id").get<int>()).second) << "panel id " << panel.at("id") << " twice";
    if (panel.contains("targets")) by_title[panel.at("title").get<std::string>()] = panel["targets"][0].at("expr");
  }
  for (const char* title : {"TIME_WAIT by container", "Retransmits/s by container", "Listen overflows by container"}) {
    ASSERT_TRUE(by_title.count(title)) << title;
    EXPECT_NE(by_title[title].find("sum by (container)"), std::string::npos) << title << ": " << by_title[title];
    EXPECT_NE(by_title[title].find("container=~\"$container\""), std::string::npos) << title;
  }
}

TEST(ServeDeploy, SystemdAcceptsTheUnit) {
  TS_REQUIRE_TOOL_OR_SKIP(systemd_analyze, "systemd-analyze");
  SharedTempDir dir;
  std::string unit = read_text(deploy_file("tcpsight.service"));
  // The unit's own line, not the -A variant its comments show.
  const std::string exec_start = "\nExecStart=/usr/local/bin/tcpsight";
  const size_t at = unit.find(exec_start + " serve");
  ASSERT_NE(at, std::string::npos);
  unit.replace(at, exec_start.size(), "\nExecStart=" + tcpsight_binary());  // verify checks the binary exists
  const std::string path = dir.path() + "/tcpsight.service";
  std::ofstream(path) << unit;
  const CommandResult r = run_command({systemd_analyze, "verify", path});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out + r.err, "") << "systemd's warnings about the unit";
}

// The capabilities the unit grants, as setpriv spells them: "+bpf,+perfmon".
std::string unit_capabilities() {
  const std::string unit = read_text(deploy_file("tcpsight.service"));
  std::smatch m;
  if (!std::regex_search(unit, m, std::regex(R"(\nAmbientCapabilities=([A-Z_ ]+)\n)"))) return "";
  std::istringstream caps(m[1].str());
  std::string out;
  for (std::string cap; caps >> cap;) {
    std::string name = cap.substr(4);  // without CAP_
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    out += (out.empty() ? "+" : ",+") + name;
  }
  return out;
}

TEST(ServeDeploy, TheUnitsCapabilitiesAreEnoughToServeAsAnUnprivilegedUser) {
  TS_REQUIRE_ROOT_OR_SKIP();
  TS_REQUIRE_TOOL_OR_SKIP(setpriv, "setpriv");
  const std::string caps = unit_capabilities();
  ASSERT_EQ(caps, "+bpf,+perfmon");
  SharedTempDir dir;  // a copy of the binary that user nobody may run, wherever the build tree is
  const std::string binary = dir.path() + "/tcpsight";
  std::filesystem::copy_file(tcpsight_binary(), binary);
  chmod(binary.c_str(), 0755);
  const auto as_nobody = [&](const std::string& with_caps, const std::vector<std::string>& args) {
    std::vector<std::string> argv{setpriv, "--reuid=65534", "--regid=65534", "--clear-groups",
                                  "--inh-caps=-all," + with_caps, "--ambient-caps=-all," + with_caps,
                                  "--bounding-set=-all," + with_caps, binary};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  };

  Netns ns("serve-deploy-caps");
  Child serve(as_nobody(caps, {"serve", "--listen", "127.0.0.1:9977"}), ns.inside());
  ASSERT_TRUE(serve.wait_for_line(Child::Stream::err, "serving http://", 20s).has_value()) << serve.err();
  const std::string status = read_text("/proc/" + std::to_string(serve.pid()) + "/status");
  EXPECT_NE(status.find("\nUid:\t65534\t65534\t65534\t65534\n"), std::string::npos) << "runs as nobody";
  const Listener listener = listen_in(ns.name(), "127.0.0.1", 16);
  client_closed_connections(ns.name(), listener, 3);
  const HttpReply reply = http_get(ns.name(), "127.0.0.1", 9977, "/metrics");
  ASSERT_EQ(reply.status, 200) << serve.err();
  const auto m = samples_of(reply.body);
  EXPECT_EQ(sample(m, R"(tcpsight_state_transitions_total{from="FIN_WAIT2",to="CLOSE"})"), 3)
      << "the tracepoint programs are attached";
  EXPECT_EQ(sample(m, R"(tcpsight_sockets{state="TIME_WAIT"})"), 3) << "the socket iterator works";

  // Without CAP_PERFMON it refuses with a clear reason.
  const CommandResult no_perfmon = ns.run(as_nobody("+bpf", {"serve", "--listen", "127.0.0.1:9978"}), 20s);
  EXPECT_EQ(no_perfmon.exit_code, 1);
  EXPECT_NE(no_perfmon.err.find("CAP_PERFMON"), std::string::npos) << no_perfmon.err;
}

}  // namespace
}  // namespace tcpsight::itest::serve
