// What one snapshot of every socket says: counts per state, listener queues, TIME_WAIT detail.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "core/address.hpp"
#include "tcpsight/abi.h"

namespace tcpsight {

struct ListenerQueue {
  IpAddress addr;
  uint16_t port = 0;
  uint32_t syn_queue = 0;     // half-open request sockets
  uint32_t accept_queue = 0;  // established, not yet accepted
  uint32_t max_backlog = 0;
};

struct PeerCount {
  IpAddress addr;
  uint64_t sockets = 0;
};

// Minimum, median and maximum; all zero when there is nothing to summarise.
struct Spread {
  double min = 0, p50 = 0, max = 0;
};

struct TimeWaitCensus {
  uint64_t count = 0;
  Spread remaining_seconds;
  // Sockets by remaining lifetime: bucket i holds [i*5 s, (i+1)*5 s); the last also holds longer.
  static constexpr int kBucketSeconds = 5;
  std::array<uint64_t, 12> remaining_histogram{};
  std::vector<PeerCount> top_peers;  // remote hosts holding the most TIME_WAIT sockets, largest first
};

// What every reader of a snapshot counts: sockets per state and listener queues.
struct SocketCounts {
  std::array<uint64_t, TS_NSTATES> by_state{};  // request sockets are counted under SYN_RECV
  uint64_t request_sockets = 0;                 // of which half-open request sockets
  uint64_t total = 0;
  std::vector<ListenerQueue> listeners;         // in snapshot order, unless a reader sorts them

  // Counts one record; false (and nothing counted) for a record of no known state.
  bool add(const ts_sock_record& r);
};

struct SocketCensus : SocketCounts {
  TimeWaitCensus time_wait;  // listeners: sorted by port, then address

  static SocketCensus from_records(std::span<const ts_sock_record> records, size_t top_peers = 10);
};

}  // namespace tcpsight
