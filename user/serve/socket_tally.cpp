#include "serve/socket_tally.hpp"

namespace tcpsight {

namespace {

// The bucket whose bound is the first >= the remaining lifetime (Prometheus' `le`).
size_t time_wait_bucket(int32_t remaining_ms) {
  constexpr int32_t kStepMs = 5000;  // kBoundsSeconds are multiples of 5 s
  if (remaining_ms <= 0) return 0;
  const auto bucket = static_cast<size_t>((remaining_ms - 1) / kStepMs);
  return bucket < TimeWaitLifetimes::kBoundsSeconds.size() ? bucket : TimeWaitLifetimes::kBoundsSeconds.size();
}

}  // namespace

SocketTally SocketTally::from_records(std::span<const ts_sock_record> records) {
  SocketTally t;
  for (const ts_sock_record& r : records) {
    if (!t.add(r) || r.state != TS_TIME_WAIT) continue;
    const int32_t ms = r.time_wait_remaining_ms > 0 ? r.time_wait_remaining_ms : 0;
    ++t.time_wait.counts[time_wait_bucket(ms)];
    t.time_wait.sum_ms += static_cast<uint64_t>(ms);
    ++t.time_wait.count;
  }
  return t;
}

void add_tally(SocketTally& into, const SocketTally& from) {
  for (size_t s = 0; s < into.by_state.size(); ++s) into.by_state[s] += from.by_state[s];
  into.request_sockets += from.request_sockets;
  into.total += from.total;
  into.listeners.insert(into.listeners.end(), from.listeners.begin(), from.listeners.end());
  for (size_t b = 0; b < into.time_wait.counts.size(); ++b) into.time_wait.counts[b] += from.time_wait.counts[b];
  into.time_wait.sum_ms += from.time_wait.sum_ms;
  into.time_wait.count += from.time_wait.count;
}

}  // namespace tcpsight
