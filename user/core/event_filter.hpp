// Which events a user asked to see (trace --port/--addr/--pid/--state).
#pragma once

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

}  // namespace tcpsight
