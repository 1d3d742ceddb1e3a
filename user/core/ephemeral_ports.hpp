// How much of the local ephemeral port range (net.ipv4.ip_local_port_range) each destination uses:
// the port-exhaustion risk. A connect() to one destination address and port needs a local port no
// other socket to that destination holds, TIME_WAIT sockets included.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/address.hpp"
#include "tcpsight/abi.h"

namespace tcpsight {

struct PortRange {
  uint16_t low = 0, high = 0;  // inclusive
  uint32_t size() const { return high >= low ? uint32_t{high} - low + 1 : 0; }
  bool contains(uint16_t port) const { return port >= low && port <= high; }
};

// "32768\t60999\n" as /proc/sys/net/ipv4/ip_local_port_range reads; nullopt when malformed.
std::optional<PortRange> parse_port_range(std::string_view text);

struct DestinationPorts {
  IpAddress addr;
  uint16_t port = 0;
  uint64_t ports_in_use = 0;  // distinct local ports from the range held toward this destination
  uint64_t time_wait = 0;     // of the sockets holding them, how many are in TIME_WAIT
  double share = 0;           // ports_in_use / range size
};

// Every destination that client-side sockets hold ports of the range toward, largest first (most
// ports, then most TIME_WAIT, then address and port). A client-side socket is one whose local port
// lies in the range and is not a listening port of the snapshot (the server side of a connection
// keeps its listener's port); listeners and request sockets are not. The one rule for `top` and
// `serve`. Memory: one small entry per client-side socket while it counts.
std::vector<DestinationPorts> ephemeral_ports_by_destination(std::span<const ts_sock_record> records,
                                                             PortRange range);

}  // namespace tcpsight
