// NamespaceTable: each namespace's figures kept apart, vanished ones reported once more as gone
// with their final counts, then dropped and their inodes handed back.
#include <gtest/gtest.h>

#include "core/namespace_table.hpp"

namespace tcpsight {
namespace {

NamespaceSighting sighting(uint32_t inode, const std::string& name) {
  NamespaceSighting s;
  s.id = {.inode = inode, .name = name, .kind = "netns", .container_id = {}, .host = false};
  return s;
}

ts_netns_counters opened(uint64_t n) {
  ts_netns_counters c{};
  c.transitions[TS_SYN_SENT][TS_ESTABLISHED] = n;
  return c;
}

TEST(NamespaceTable, KeepsEachNamespacesOwnFigures) {
  NamespaceTable table;
  NamespaceSighting a = sighting(10, "a");
  a.census = SocketCensus{};
  a.census->by_state[TS_TIME_WAIT] = 7;
  a.kernel = KernelCounters{{"TcpExt.ListenOverflows", 3}};
  EXPECT_TRUE(table.refresh({a, sighting(20, "b")}, {{10, opened(5)}}, 1.0).empty());
  ASSERT_EQ(table.namespaces().size(), 2u);
  const NamespaceView* va = table.find(10);
  const NamespaceView* vb = table.find(20);
  ASSERT_TRUE(va && vb);
  EXPECT_EQ(va->figures.totals().transitions[TS_SYN_SENT][TS_ESTABLISHED], 5u);
  EXPECT_EQ(va->figures.totals().events_seen, 5u);
  EXPECT_EQ(va->figures.census().by_state[TS_TIME_WAIT], 7u);
  EXPECT_EQ(va->kernel.at("TcpExt.ListenOverflows"), 3);
  EXPECT_EQ(vb->figures.totals().transitions[TS_SYN_SENT][TS_ESTABLISHED], 0u);
  EXPECT_FALSE(va->gone);

  // Rates over the interval between two refreshes.
  a.census.reset();
  a.kernel = KernelCounters{{"TcpExt.ListenOverflows", 13}};
  table.refresh({a, sighting(20, "b")}, {{10, opened(25)}}, 3.0);
  va = table.find(10);
  EXPECT_DOUBLE_EQ(va->figures.transition_rate(TS_SYN_SENT, TS_ESTABLISHED), 10.0);
  EXPECT_DOUBLE_EQ(kernel_rate(*va, "TcpExt.ListenOverflows"), 5.0);
  EXPECT_EQ(va->figures.census().by_state[TS_TIME_WAIT], 7u) << "the last census stays until a new one";
}

TEST(NamespaceTable, AVanishedNamespaceIsReportedOnceMoreThenDropped) {
  NamespaceTable table;
  table.refresh({sighting(10, "a"), sighting(20, "b")}, {{10, opened(5)}, {20, opened(1)}}, 1.0);
  // a is gone; its counters are still in the kernel's map.
  EXPECT_TRUE(table.refresh({sighting(20, "b")}, {{10, opened(6)}, {20, opened(2)}}, 2.0).empty());
  const NamespaceView* va = table.find(10);
  ASSERT_TRUE(va);
  EXPECT_TRUE(va->gone);
  EXPECT_EQ(va->id.name, "a") << "still under its name";
  EXPECT_EQ(va->figures.totals().transitions[TS_SYN_SENT][TS_ESTABLISHED], 6u) << "its final counts";
  EXPECT_EQ(table.refresh({sighting(20, "b")}, {{10, opened(6)}, {20, opened(3)}}, 3.0), std::vector<uint32_t>{10});
  EXPECT_EQ(table.find(10), nullptr);
  EXPECT_EQ(table.find(20)->figures.totals().transitions[TS_SYN_SENT][TS_ESTABLISHED], 3u);
}

TEST(NamespaceTable, ANamespaceNoScanFoundIsShownByItsInodeOnce) {
  NamespaceTable table;
  table.refresh({}, {{30, opened(4)}}, 1.0);
  const NamespaceView* v = table.find(30);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->id.name, "netns-30");
  EXPECT_EQ(v->id.kind, "inode");
  EXPECT_TRUE(v->gone);
  EXPECT_EQ(v->figures.totals().transitions[TS_SYN_SENT][TS_ESTABLISHED], 4u);
  EXPECT_EQ(table.refresh({}, {{30, opened(4)}}, 2.0), std::vector<uint32_t>{30});
}

TEST(NamespaceTable, ANamespaceFoundAgainIsLiveAgain) {
  NamespaceTable table;
  table.refresh({sighting(10, "a")}, {}, 1.0);
  table.refresh({}, {}, 2.0);  // missed by one scan (e.g. its only process was between fork and exec)
  ASSERT_TRUE(table.find(10)->gone);
  EXPECT_TRUE(table.refresh({sighting(10, "a")}, {}, 3.0).empty());
  EXPECT_FALSE(table.find(10)->gone);
}

}  // namespace
}  // namespace tcpsight
