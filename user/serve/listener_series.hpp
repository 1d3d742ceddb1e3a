// Bounded per-listener labels: listening sockets merged by local endpoint (SO_REUSEPORT groups are
// one series), at most `cap` endpoints labelled, the rest summed into one local="other" series.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "core/socket_census.hpp"
#include "serve/bounded_series.hpp"

namespace tcpsight {

struct ListenerSeriesEntry {
  std::string local;  // "10.0.0.1:80", "[::]:443", or "other"
  uint64_t syn_queue = 0;
  uint64_t accept_queue = 0;
  uint64_t max_backlog = 0;
  uint64_t sockets = 0;  // listening sockets merged into this series
};

// kept: sorted by port, then address.
struct ListenerSeries : BoundedSeries<ListenerSeriesEntry> {
  uint64_t listening_sockets = 0;
};

// Keeps the `cap` endpoints with the fullest queues (ties: lower port, then address).
ListenerSeries select_listener_series(std::span<const ListenerQueue> listeners, size_t cap);

}  // namespace tcpsight
