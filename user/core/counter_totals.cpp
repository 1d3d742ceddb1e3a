#include "core/counter_totals.hpp"

#include <cstring>

namespace tcpsight {

namespace {
// The counter structs are flat runs of __u64 fields: sum them as such.
template <class Counters>
Counters sum_words(std::span<const Counters> per_cpu) {
  constexpr size_t kWords = sizeof(Counters) / sizeof(uint64_t);
  static_assert(sizeof(Counters) % sizeof(uint64_t) == 0);
  uint64_t sum[kWords] = {};
  for (const Counters& cpu : per_cpu) {
    uint64_t words[kWords];
    std::memcpy(words, &cpu, sizeof words);
    for (size_t i = 0; i < kWords; ++i) sum[i] += words[i];
  }
  Counters total;
  std::memcpy(&total, sum, sizeof total);
  return total;
}
}  // namespace

ts_counters sum_counters(std::span<const ts_counters> per_cpu) {
  ts_counters total = sum_words(per_cpu);
  total.events_seen = events_counted(total);
  return total;
}

ts_netns_counters sum_netns_counters(std::span<const ts_netns_counters> per_cpu) { return sum_words(per_cpu); }

uint64_t events_counted(const ts_counters& c) {
  uint64_t n = total_retransmits(c) + c.synack_retransmits + c.resets_sent + c.resets_received;
  for (const auto& row : c.transitions)
    for (uint64_t v : row) n += v;
  return n;
}

uint64_t total_retransmits(const ts_counters& c) {
  uint64_t n = 0;
  for (uint64_t v : c.retransmits) n += v;
  return n;
}

uint64_t histogram_count(const __u64 (&slots)[TS_HIST_SLOTS]) {
  uint64_t n = 0;
  for (uint64_t v : slots) n += v;
  return n;
}

}  // namespace tcpsight
