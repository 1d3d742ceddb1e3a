// Which events a user asked to see (trace --port/--addr/--pid/--state).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/address.hpp"
#include "tcpsight/abi.h"

namespace tcpsight {

struct EventFilter {
  std::vector<uint16_t> ports;  // either end's port; empty: any
  std::optional<IpAddress> addr;  // either end's address
  std::optional<uint32_t> pid;    // the owner's pid; events whose owner is unknown never match
  // Old or new state (request sockets as SYN_RECV); TIME_WAIT: the state events flagged
  // TS_F_TIME_WAIT (the ->CLOSE that hands the connection to a TIME_WAIT socket). Empty: any.
  std::vector<int> states;

  bool matches(const ts_event& e) const;
};

}  // namespace tcpsight
