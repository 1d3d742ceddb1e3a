// Which events a user asked to see (trace --port/--addr/--pid/--state).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/address.hpp"
#include "core/owner.hpp"
#include "tcpsight/abi.h"

namespace tcpsight {

struct EventFilter {
  std::vector<uint16_t> ports;  // either end's port; empty: any
  std::optional<IpAddress> addr;  // either end's address
  std::optional<uint32_t> pid;    // the owner's pid, or one of the socket's holders; an unknown owner never matches
  // Old or new state (request sockets as SYN_RECV); TIME_WAIT: the state events flagged
  // TS_F_TIME_WAIT (the ->CLOSE that hands the connection to a timewait socket). Empty: any.
  std::vector<int> states;

  // With the owner attributed to the event (OwnerAttribution).
  bool matches(const ts_event& e, const Owner& owner) const;
  // With the owner the event itself names.
  bool matches(const ts_event& e) const { return matches(e, named_by_event(e)); }
};

// What the kernel can decide of an EventFilter before a record reaches the ring buffer
// (bpf/stream_filter.bpf.h): ports, the address and states; never the pid, whose owners are
// attributed in user space. A part the kernel cannot hold is left to user space (off here): more
// than TS_FILTER_MAX_PORTS ports, or a wildcard address (0.0.0.0, ::), which a socket whose port
// the kernel released may show in place of its own before keep_tuple() restores it.
struct KernelStreamFilter {
  uint32_t nports = 0;
  std::array<uint16_t, TS_FILTER_MAX_PORTS> ports{};
  uint8_t addr_family = 0;  // 0: off; AF_INET: the IPv4 part (of an IPv4 or IPv4-mapped filter) in addr[0..3]
  std::array<uint8_t, 16> addr{};
  uint32_t states = 0;  // bit reported_state(s) for each state s
  bool time_wait = false;

  bool operator==(const KernelStreamFilter&) const = default;
};

KernelStreamFilter kernel_stream_filter(const EventFilter& filter);

}  // namespace tcpsight
