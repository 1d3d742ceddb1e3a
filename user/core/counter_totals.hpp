// Sums the per-CPU copies of the kernel's exact counters.
#pragma once

#include <cstdint>
#include <span>

#include "tcpsight/abi.h"

namespace tcpsight {

// The total over CPUs, with events_seen filled in (the kernel leaves it to user space).
ts_counters sum_counters(std::span<const ts_counters> per_cpu);

// The total over CPUs of one namespace's counters.
ts_netns_counters sum_netns_counters(std::span<const ts_netns_counters> per_cpu);

// Tracepoint hits the counters account for: every hit adds to exactly one transition, retransmit
// or reset count.
uint64_t events_counted(const ts_counters& c);

uint64_t total_retransmits(const ts_counters& c);

// Sum of a log2 histogram's slots (a ts_counters histogram field).
uint64_t histogram_count(const __u64 (&slots)[TS_HIST_SLOTS]);

}  // namespace tcpsight
