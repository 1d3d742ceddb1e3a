// The per-CPU rings' records into one time order (kernel/event_merge.hpp).
#include "kernel/event_merge.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
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
  std::vector<ts_event> released;
  const size_t n = merge.release(cutoff_ns, released);
  EXPECT_EQ(n, released.size());
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (const ts_event& e : released) out.emplace_back(e.ts_ns, e.cookie);
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

// Two rings take one pass and more take a heap (event_merge.cpp): both against a stable sort of
// (time, ring) over what is at or before the cutoff, with times drawn from a narrow range so that
// equal times across rings are common. Each ring's records in commit order, sometimes out of time
// order (a program that interrupted another on its CPU).
TEST(EventMerge, AnyNumberOfRingsMergesAsAStableSortByTimeThenRing) {
  std::mt19937_64 random(7);
  for (size_t rings : {2u, 3u, 5u, 16u}) {
    EventMerge merge(rings);
    std::vector<std::pair<std::pair<uint64_t, size_t>, uint64_t>> all;  // ((time, ring), cookie)
    uint64_t cookie = 0;
    for (size_t r = 0; r < rings; ++r) {
      uint64_t t = 0;
      std::vector<std::pair<std::pair<uint64_t, size_t>, uint64_t>> ring;
      for (int k = 0; k < 200; ++k) {
        t += random() % 3;
        const uint64_t ts = random() % 10 == 0 && t > 2 ? t - 2 : t;
        merge.add(r, at(ts, ++cookie));
        ring.push_back({{ts, r}, cookie});
      }
      // A ring's own records are put in time order first, equal times in commit order.
      std::stable_sort(ring.begin(), ring.end(), [](const auto& a, const auto& b) { return a.first.first < b.first.first; });
      all.insert(all.end(), ring.begin(), ring.end());
    }
    std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    const uint64_t cutoff = 150;
    Seen want_now, want_later;
    for (const auto& [key, c] : all) (key.first <= cutoff ? want_now : want_later).emplace_back(key.first, c);
    std::vector<ts_event> out{at(1, 999)};  // release appends to what the caller has
    EXPECT_EQ(merge.release(cutoff, out), want_now.size()) << rings << " rings";
    ASSERT_EQ(out.size(), want_now.size() + 1);
    EXPECT_EQ(out.front().cookie, 999u);
    Seen got;
    for (size_t i = 1; i < out.size(); ++i) got.emplace_back(out[i].ts_ns, out[i].cookie);
    EXPECT_EQ(got, want_now) << rings << " rings";
    EXPECT_EQ(merge.held(), want_later.size());
    EXPECT_EQ(release(merge, UINT64_MAX), want_later) << rings << " rings";
  }
}

TEST(EventMerge, NothingHeldReleasesNothing) {
  EventMerge merge(4);
  EXPECT_EQ(release(merge, UINT64_MAX), Seen{});
}

}  // namespace
}  // namespace tcpsight
