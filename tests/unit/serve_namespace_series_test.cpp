// serve -A --max-namespaces: which namespaces get series of their own, and that the summed
// netns="other" series keeps its counters monotonic while namespaces come and go.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core_test_input.hpp"
#include "serve/namespace_series.hpp"

namespace tcpsight {
namespace {

using test::sock_record;
using test::time_wait_record;

// A namespace with `resets` resets sent, `overflows` listen overflows and `established` sockets.
ShownNamespace ns(uint32_t inode, uint64_t resets = 0, int64_t overflows = 0, int established = 0) {
  ShownNamespace n{.inode = inode, .name = "c" + std::to_string(inode), .host = false, .figures = {}};
  n.figures.counters.resets_sent = resets;
  n.figures.kernel["TcpExt.ListenOverflows"] = overflows;
  std::vector<ts_sock_record> records;
  for (int i = 0; i < established; ++i)
    records.push_back(sock_record(TS_ESTABLISHED, {"10.0.0.1", 443, "10.0.0.9", static_cast<uint16_t>(50000 + i)}));
  n.figures.limits.port_range = PortRange{32768, 60999};
  reduce_snapshot(n.figures, records);
  return n;
}

std::vector<std::string> labels(const std::vector<LabelledNamespace>& placed) {
  std::vector<std::string> out;
  for (const LabelledNamespace& p : placed) out.push_back(p.netns + "/" + p.container);
  return out;
}

const LabelledNamespace& other(const std::vector<LabelledNamespace>& placed) {
  EXPECT_FALSE(placed.empty());
  EXPECT_EQ(placed.back().netns, "other");
  return placed.back();
}

TEST(NamespaceSeries, AtMostTheCapGetSeriesAndTheRestAreSummedIntoOther) {
  NamespaceSeries series(2);
  const auto placed = series.place({ns(10, 1), ns(11, 2), ns(12, 4), ns(13, 8)}, {});
  EXPECT_EQ(labels(placed), (std::vector<std::string>{"10/c10", "11/c11", "other/other"}));
  EXPECT_EQ(series.shown(), 2u);
  EXPECT_EQ(series.in_other(), 2u);
  EXPECT_EQ(other(placed).figures.counters.resets_sent, 12u);
  EXPECT_EQ(other(placed).figures.kernel.at("TcpExt.ListenOverflows"), 0);
}

TEST(NamespaceSeries, NoOtherSeriesWhileEveryNamespaceHasItsOwn) {
  NamespaceSeries series(3);
  EXPECT_EQ(labels(series.place({ns(10), ns(11)}, {})), (std::vector<std::string>{"10/c10", "11/c11"}));
  EXPECT_EQ(series.in_other(), 0u);
}

TEST(NamespaceSeries, TheHostComesFirstAmongNamespacesFoundTogether) {
  NamespaceSeries series(1);
  ShownNamespace host = ns(99);
  host.host = true;
  host.name = "host";
  EXPECT_EQ(labels(series.place({ns(10), host, ns(11)}, {})), (std::vector<std::string>{"99/host", "other/other"}));
}

TEST(NamespaceSeries, AFirstComerKeepsItsSlotAndOneInOtherStaysThere) {
  NamespaceSeries series(1);
  series.place({ns(20), ns(30)}, {});
  // A namespace with a lower inode appears later: it does not take the slot, nor does 30 move.
  EXPECT_EQ(labels(series.place({ns(5), ns(20), ns(30)}, {})), (std::vector<std::string>{"20/c20", "other/other"}));
  EXPECT_EQ(series.in_other(), 2u);
}

TEST(NamespaceSeries, AFreedSlotGoesToANewNamespaceNotToOneInOther) {
  NamespaceSeries series(1);
  series.place({ns(20), ns(30)}, {});
  const auto placed = series.place({ns(30), ns(40)}, {});  // 20 vanished; 40 is new
  EXPECT_EQ(labels(placed), (std::vector<std::string>{"40/c40", "other/other"}));
  EXPECT_EQ(series.shown(), 1u);
  EXPECT_EQ(series.in_other(), 1u);
}

TEST(NamespaceSeries, OthersCountersKeepTheFinalCountsOfNamespacesThatVanished) {
  NamespaceSeries series(1);
  auto placed = series.place({ns(1), ns(2, 5, 3), ns(3, 7, 4)}, {});
  EXPECT_EQ(other(placed).figures.counters.resets_sent, 12u);
  EXPECT_EQ(other(placed).figures.kernel.at("TcpExt.ListenOverflows"), 7);

  placed = series.place({ns(1), ns(3, 9, 4)}, {});  // 2 vanished with 5 resets and 3 overflows
  EXPECT_EQ(other(placed).figures.counters.resets_sent, 14u);
  EXPECT_EQ(other(placed).figures.kernel.at("TcpExt.ListenOverflows"), 7);

  placed = series.place({ns(1)}, {});  // every namespace of other is gone: its series stays, counts kept
  EXPECT_EQ(other(placed).figures.counters.resets_sent, 14u);
  EXPECT_EQ(other(placed).figures.kernel.at("TcpExt.ListenOverflows"), 7);
  EXPECT_EQ(series.in_other(), 0u);
}

TEST(NamespaceSeries, OthersCountersNeverGoDownWhileNamespacesComeAndGo) {
  NamespaceSeries series(2);
  uint64_t last = 0;
  std::vector<ShownNamespace> now;
  for (uint32_t round = 0; round < 40; ++round) {
    // Each round one namespace is born; namespaces live 5 rounds; counters grow with age.
    now.clear();
    for (uint32_t born = round >= 4 ? round - 4 : 0; born <= round; ++born) now.push_back(ns(100 + born, round - born));
    const auto placed = series.place(now, {});
    ASSERT_LE(placed.size(), 3u);
    if (placed.back().netns != "other") continue;
    EXPECT_GE(placed.back().figures.counters.resets_sent, last) << "round " << round;
    last = placed.back().figures.counters.resets_sent;
  }
  EXPECT_GT(last, 0u);
}

TEST(NamespaceSeries, OthersGaugesAreWhatItsNamespacesHoldNow) {
  NamespaceSeries series(1);
  ShownNamespace tw = ns(3);
  reduce_snapshot(tw.figures, std::vector{time_wait_record({"10.0.0.1", 40000, "10.0.0.2", 80}, 30'000)});
  tw.figures.snapshot_age_seconds = 4;
  auto placed = series.place({ns(1), ns(2, 0, 0, 3), tw}, {});
  const NamespaceScrape& sum = other(placed).figures;
  EXPECT_EQ(sum.sockets.by_state[TS_ESTABLISHED], 3u);
  EXPECT_EQ(sum.sockets.time_wait.count, 1u);
  EXPECT_EQ(sum.sockets.time_wait.sum_ms, 30'000u);
  EXPECT_EQ(sum.snapshot_age_seconds, 4);  // the oldest snapshot behind it
  // A port range and port use belong to one namespace: summed over several they mean nothing.
  EXPECT_FALSE(sum.limits.port_range);
  EXPECT_TRUE(sum.destinations.all().empty());

  placed = series.place({ns(1), tw}, {});
  EXPECT_EQ(other(placed).figures.sockets.by_state[TS_ESTABLISHED], 0u);
}

TEST(NamespaceSeries, EachNamespacesListenersAreCappedOnTheirOwn) {
  NamespaceSeries series(2);
  ShownNamespace a = ns(1);
  reduce_snapshot(a.figures, std::vector{test::listener_record("0.0.0.0", 80, 0, 0, 128),
                                         test::listener_record("0.0.0.0", 81, 0, 0, 128)});
  const auto placed = series.place({a}, {.listeners = 1, .destinations = 20});
  ASSERT_EQ(placed.size(), 1u);
  EXPECT_EQ(placed[0].figures.listeners.kept.size(), 1u);
  EXPECT_EQ(placed[0].figures.listeners.dropped, 1u);
}

}  // namespace
}  // namespace tcpsight
