// The per-CPU rings' records into one time order (kernel/event_merge.hpp).
#include "kernel/event_merge.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <utility>
#include <vector>

namespace tcpsight {
namespace {

ts_event at(uint64_t ts_ns, uint64_t cookie) {
  ts_event e{};
  e.ts_ns = ts_ns;
  e.cookie = cookie;
  return e;
}

// What a release passes on, as (time, cookie).
std::vector<std::pair<uint64_t, uint64_t>> release(EventMerge& merge, uint64_t cutoff_ns) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  const size_t n = merge.release(cutoff_ns, [&](const ts_event& e) { out.emplace_back(e.ts_ns, e.cookie); });
  EXPECT_EQ(n, out.size());
  return out;
}

using Seen = std::vector<std::pair<uint64_t, uint64_t>>;

TEST(EventMerge, RecordsOfSeveralRingsComeOutInTimeOrder) {
  EventMerge merge(3);
  for (uint64_t ts : {10, 40, 70}) merge.add(0, at(ts, 0));
  for (uint64_t ts : {20, 30, 80}) merge.add(1, at(ts, 1));
  merge.add(2, at(50, 2));
  EXPECT_EQ(release(merge, 1000), (Seen{{10, 0}, {20, 1}, {30, 1}, {40, 0}, {50, 2}, {70, 0}, {80, 1}}));
  EXPECT_EQ(merge.held(), 0u);
}

// A softirq's program that interrupted a task's between its reservation and its clock read: the
// ring holds the later time first.
TEST(EventMerge, ARingsOwnRecordsArePutInTimeOrder) {
  EventMerge merge(1);
  merge.add(0, at(30, 1));
  merge.add(0, at(20, 2));
  merge.add(0, at(40, 3));
  EXPECT_EQ(release(merge, 1000), (Seen{{20, 2}, {30, 1}, {40, 3}}));
}

// Ring 0 was read before ring 1 had the record of time 25: the drain's cutoff keeps ring 1's 30
// back, and the next drain puts 25 before it.
TEST(EventMerge, RecordsNewerThanTheCutoffWaitForTheNextDrain) {
  EventMerge merge(2);
  merge.add(0, at(10, 0));
  merge.add(1, at(30, 1));
  EXPECT_EQ(release(merge, 20), (Seen{{10, 0}}));
  EXPECT_EQ(merge.held(), 1u);
  merge.add(0, at(25, 0));
  EXPECT_EQ(release(merge, 1000), (Seen{{25, 0}, {30, 1}}));
  EXPECT_EQ(merge.held(), 0u);
}

TEST(EventMerge, EqualTimesComeInRingOrderAndARecordAtTheCutoffGoesOut) {
  EventMerge merge(2);
  merge.add(1, at(5, 1));
  merge.add(0, at(5, 0));
  merge.add(0, at(5, 2));
  merge.add(1, at(6, 3));
  EXPECT_EQ(release(merge, 5), (Seen{{5, 0}, {5, 2}, {5, 1}}));
  EXPECT_EQ(release(merge, 5), Seen{});
  EXPECT_EQ(release(merge, 6), (Seen{{6, 3}}));
}

// The deferred LISTEN->SYN_RECV of kernels before 6.15 carries the time it happened and is sent
// just before the child's next record: older than what went out meanwhile, it goes out at once,
// still before the record that follows it in its ring.
TEST(EventMerge, ARecordOlderThanWhatWentOutGoesOutAtTheNextDrain) {
  EventMerge merge(2);
  merge.add(1, at(50, 1));
  EXPECT_EQ(release(merge, 60), (Seen{{50, 1}}));
  merge.add(0, at(40, 7));
  merge.add(0, at(70, 7));
  EXPECT_EQ(release(merge, 100), (Seen{{40, 7}, {70, 7}}));
}

TEST(EventMerge, NothingHeldReleasesNothing) {
  EventMerge merge(4);
  EXPECT_EQ(release(merge, UINT64_MAX), Seen{});
}

}  // namespace
}  // namespace tcpsight
