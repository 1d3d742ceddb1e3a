// `--port`, `--addr` and `--state`: the event filters trace and record share, checked while
// parsing (a bad value is a usage error, exit 2) and turned into one EventFilter.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/number_option.hpp"
#include "core/address.hpp"
#include "core/event_filter.hpp"
#include "core/tcp_state.hpp"

namespace tcpsight {

struct EventFilterOptions {
  std::vector<uint16_t> ports;
  std::string addr;
  std::vector<std::string> states;

  // `pid`: trace's --pid, judged in user space once owners are known (record has none).
  EventFilter filter(std::optional<uint32_t> pid = std::nullopt) const {
    EventFilter f;
    f.ports = ports;
    if (!addr.empty()) f.addr = parse_address(addr);
    f.pid = pid;
    for (const auto& s : states) f.states.push_back(*parse_state(s));  // validated by the parser
    return f;
  }
};

// Adds the three options to `cmd`; `scope` ends the help of each, e.g. what the filter leaves whole.
inline void add_event_filter_options(CLI::App* cmd, EventFilterOptions& o, const std::string& scope = "") {
  const std::string tail = scope.empty() ? "" : "; " + scope;
  cmd->add_option("--port", o.ports, "only events with this local or remote port (repeatable" + tail + ")")
      ->transform(whole_in(1, 65535));
  cmd->add_option("--addr", o.addr, "only events with this local or remote address")
      ->check([](const std::string& s) { return parse_address(s) ? std::string() : "not an IP address: " + s; });
  cmd->add_option("--state", o.states,
                  "only events entering or leaving this state, e.g. SYN_SENT, time-wait (repeatable; TIME_WAIT: "
                  "the closes that hand the connection to a timewait socket, as no event enters it)")
      ->check([](const std::string& s) { return parse_state(s) ? std::string() : "unknown TCP state: " + s; });
}

}  // namespace tcpsight
