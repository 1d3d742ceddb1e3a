// Summing the per-CPU copies of the kernel's exact counters.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "core/counter_totals.hpp"

namespace tcpsight {
namespace {

TEST(CounterTotals, SumsEveryFieldOverAllCpus) {
  std::vector<ts_counters> cpus(3);
  std::memset(cpus.data(), 0, cpus.size() * sizeof(ts_counters));
  cpus[0].transitions[TS_ESTABLISHED][TS_FIN_WAIT1] = 5;
  cpus[1].transitions[TS_ESTABLISHED][TS_FIN_WAIT1] = 7;
  cpus[2].transitions[TS_LISTEN][TS_SYN_RECV] = 1;
  cpus[0].retransmits[TS_SYN_SENT] = 2;
  cpus[2].retransmits[TS_ESTABLISHED] = 40;
  cpus[1].synack_retransmits = 3;
  cpus[0].resets_sent = 1;
  cpus[1].resets_sent = 1;
  cpus[2].resets_received = 9;
  cpus[0].time_wait_entered = 4;
  cpus[2].time_wait_entered = 6;
  cpus[0].events_seen = 1000;  // the kernel leaves it zero; whatever is there is replaced
  cpus[2].events_lost = 17;
  cpus[0].connect_latency_us[3] = 10;
  cpus[1].connect_latency_us[3] = 5;
  cpus[2].connection_duration_us[TS_HIST_SLOTS - 1] = 8;

  const ts_counters sum = sum_counters(cpus);
  EXPECT_EQ(sum.transitions[TS_ESTABLISHED][TS_FIN_WAIT1], 12u);
  EXPECT_EQ(sum.transitions[TS_LISTEN][TS_SYN_RECV], 1u);
  EXPECT_EQ(sum.transitions[TS_FIN_WAIT1][TS_ESTABLISHED], 0u);
  EXPECT_EQ(sum.retransmits[TS_SYN_SENT], 2u);
  EXPECT_EQ(sum.retransmits[TS_ESTABLISHED], 40u);
  EXPECT_EQ(total_retransmits(sum), 42u);
  EXPECT_EQ(sum.synack_retransmits, 3u);
  EXPECT_EQ(sum.resets_sent, 2u);
  EXPECT_EQ(sum.resets_received, 9u);
  EXPECT_EQ(sum.time_wait_entered, 10u);
  // Every hit adds to one kind: 13 transitions, 42 retransmits, 3 SYN-ACK, 2 + 9 resets.
  EXPECT_EQ(sum.events_seen, 13u + 42u + 3u + 2u + 9u);
  EXPECT_EQ(sum.events_lost, 17u);
  EXPECT_EQ(sum.connect_latency_us[3], 15u);
  EXPECT_EQ(sum.connection_duration_us[TS_HIST_SLOTS - 1], 8u);
  EXPECT_EQ(histogram_count(sum.connect_latency_us), 15u);
  EXPECT_EQ(histogram_count(sum.connection_duration_us), 8u);
}

TEST(CounterTotals, NoCpusSumToZero) {
  const ts_counters sum = sum_counters({});
  const ts_counters zero{};
  EXPECT_EQ(std::memcmp(&sum, &zero, sizeof zero), 0);
}

TEST(CounterTotals, LargeCountsDoNotOverflowAcrossCpus) {
  std::vector<ts_counters> cpus(2);
  std::memset(cpus.data(), 0, cpus.size() * sizeof(ts_counters));
  cpus[0].transitions[TS_ESTABLISHED][TS_CLOSE] = 0xffffffffull;
  cpus[1].transitions[TS_ESTABLISHED][TS_CLOSE] = 0xffffffffull;
  cpus[1].resets_received = 0xffffffffull;
  const ts_counters sum = sum_counters(cpus);
  EXPECT_EQ(sum.transitions[TS_ESTABLISHED][TS_CLOSE], 0x1fffffffeull);
  EXPECT_EQ(sum.events_seen, 0x2fffffffdull);
}

TEST(CounterTotals, HistogramCountAddsAllSlots) {
  __u64 slots[TS_HIST_SLOTS] = {};  // the type of the ts_counters histograms
  EXPECT_EQ(histogram_count(slots), 0u);
  slots[0] = 1;
  slots[10] = 100;
  slots[TS_HIST_SLOTS - 1] = 1000;
  EXPECT_EQ(histogram_count(slots), 1101u);
}

}  // namespace
}  // namespace tcpsight
