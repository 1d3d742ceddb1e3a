// /metrics with -A: per-namespace families carry netns and container labels (added to their own,
// names unchanged); host-wide families stay unlabelled; the namespace families are there.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "core_test_input.hpp"
#include "serve/namespace_series.hpp"
#include "serve_render_input.hpp"

namespace tcpsight {
namespace {

using test::render_text;
using test::time_wait_record;

ScrapeInput two_namespaces() {
  NamespaceFigures web;
  web.counters.resets_sent = 3;
  web.kernel["TcpExt.ListenOverflows"] = 2;
  web.limits = {test::kDefaultPortRange, 4096};
  reduce_snapshot(web, std::vector{time_wait_record({"10.0.0.1", 40000, "10.0.0.2", 80}, 30'000)});
  NamespaceFigures db;
  db.counters.time_wait_entered = 9;
  ScrapeInput in;
  in.counters.events_lost = 4;
  in.counters.netns_overflow = 6;
  in.build = {"0.1.0", "6.18.0-test"};
  in.namespaces = {{"4026532100", "web \"blue\"", scrape_namespace(web, {})},
                   {"4026532200", "db", scrape_namespace(db, {})}};
  in.namespace_counts = NamespaceCounts{.seen = 3, .shown = 2, .in_other = 1, .entered = 30, .failed = 1};
  return in;
}

TEST(NamespaceRender, PerNamespaceFamiliesCarryNetnsAndContainerLabels) {
  const auto e = render_text(two_namespaces());
  const std::map<std::string, std::string> web{{"netns", "4026532100"}, {"container", "web \"blue\""}};
  const std::map<std::string, std::string> db{{"netns", "4026532200"}, {"container", "db"}};
  auto with = [](std::map<std::string, std::string> l, const std::string& k, const std::string& v) {
    l[k] = v;
    return l;
  };
  EXPECT_EQ(e.value("tcpsight_sockets", with(web, "state", "TIME_WAIT")), "1");
  EXPECT_EQ(e.value("tcpsight_sockets", with(db, "state", "TIME_WAIT")), "0");
  EXPECT_EQ(e.value("tcpsight_resets_total", with(web, "direction", "sent")), "3");
  EXPECT_EQ(e.value("tcpsight_time_wait_entered_total", db), "9");
  EXPECT_EQ(e.value("tcpsight_netstat_listen_overflows_total", web), "2");
  EXPECT_FALSE(e.value("tcpsight_netstat_listen_overflows_total", db)) << "db's kernel counters were not read";
  EXPECT_EQ(e.value("tcpsight_time_wait_limit", web), "4096");
  EXPECT_EQ(e.value("tcpsight_ephemeral_ports_range", web), "28232");
  EXPECT_EQ(e.value("tcpsight_ephemeral_ports_used", with(web, "remote", "10.0.0.2:80")), "1");
  EXPECT_TRUE(e.value("tcpsight_snapshot_age_seconds", db));
  EXPECT_FALSE(e.value("tcpsight_sockets", {{"state", "TIME_WAIT"}})) << "no unlabelled per-namespace series";
}

TEST(NamespaceRender, HostWideFamiliesStayUnlabelled) {
  const auto e = render_text(two_namespaces());
  const std::vector<std::tuple<std::string, std::map<std::string, std::string>, std::string>> expected = {
      {"tcpsight_events_lost_total", {}, "4"},         {"tcpsight_netns_counter_overflow_total", {}, "6"},
      {"tcpsight_namespaces", {{"set", "seen"}}, "3"}, {"tcpsight_namespaces", {{"set", "shown"}}, "2"},
      {"tcpsight_namespaces", {{"set", "other"}}, "1"}, {"tcpsight_namespaces_entered_total", {}, "30"},
      {"tcpsight_namespaces_failed_total", {}, "1"},
  };
  for (const auto& [name, labels, value] : expected) EXPECT_EQ(e.value(name, labels), value) << name;
  EXPECT_EQ(e.count("tcpsight_build_info"), 1u);
  EXPECT_EQ(e.count("tcpsight_connect_latency_seconds_count"), 1u);
}

TEST(NamespaceRender, WithoutNamespacesNothingIsLabelledAndNoNamespaceFamiliesAppear) {
  const auto e = render_text(test::input_of({time_wait_record({"10.0.0.1", 40000, "10.0.0.2", 80}, 30'000)}));
  EXPECT_EQ(e.value("tcpsight_sockets", {{"state", "TIME_WAIT"}}), "1");
  EXPECT_FALSE(e.families.count("tcpsight_namespaces"));
  EXPECT_FALSE(e.families.count("tcpsight_netns_counter_overflow_total"));
}

}  // namespace
}  // namespace tcpsight
