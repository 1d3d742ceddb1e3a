// One pass over a socket snapshot that keeps only what the exporter shows: sockets per state,
// listener queues and the TIME_WAIT remaining-lifetime distribution. Nothing per connection is
// kept, so its memory does not grow with the number of sockets (SocketCensus, which also ranks
// TIME_WAIT peers for the terminal views, costs more per socket).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "core/socket_census.hpp"
#include "tcpsight/abi.h"

namespace tcpsight {

struct TimeWaitLifetimes {
  // Upper bounds in seconds of the buckets (TCP_TIMEWAIT_LEN is 60 s); one more bucket holds the rest.
  static constexpr std::array<double, 12> kBoundsSeconds = {5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60};
  std::array<uint64_t, kBoundsSeconds.size() + 1> counts{};  // not cumulative
  uint64_t sum_ms = 0;  // kept in the kernel's unit (milliseconds): exact
  uint64_t count = 0;
};

struct SocketTally : SocketCounts {  // listeners: one per listening socket, in snapshot order
  TimeWaitLifetimes time_wait;

  static SocketTally from_records(std::span<const ts_sock_record> records);
};

// Adds what `from` holds to `into` (listeners appended): the sockets of several namespaces as one.
void add_tally(SocketTally& into, const SocketTally& from);

}  // namespace tcpsight
