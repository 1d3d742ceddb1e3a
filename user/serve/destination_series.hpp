// Bounded per-destination labels for client-side ephemeral port use: the `cap` destinations that
// hold the most local ports of the range, one series each; the rest summed into remote="other".
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "core/ephemeral_ports.hpp"
#include "serve/bounded_series.hpp"

namespace tcpsight {

struct DestinationSeriesEntry {
  std::string remote;  // "10.0.0.2:80", "[2001:db8::1]:443", or "other"
  uint64_t ports_used = 0;
};

using DestinationSeries = BoundedSeries<DestinationSeriesEntry>;  // kept: largest first

// `ranked`: as ephemeral_ports_by_destination orders them (largest first).
DestinationSeries select_destination_series(std::span<const DestinationPorts> ranked, size_t cap);

}  // namespace tcpsight
