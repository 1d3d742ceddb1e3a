// The clocks tcpsight reads in nanoseconds. CLOCK_MONOTONIC is the clock of bpf_ktime_get_ns(), so
// of ts_event.ts_ns and the socket storage's times.
#pragma once

#include <time.h>

#include <cstdint>

namespace tcpsight {

inline uint64_t clock_ns(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

inline uint64_t monotonic_ns() { return clock_ns(CLOCK_MONOTONIC); }

}  // namespace tcpsight
