// The fields `trace --fields a,b,c` may choose: the keys of `trace --json`, in the order a full
// JSON line has them. A text column and a JSON key share one name, so a script that switches
// between the two formats asks for the same thing.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace tcpsight {

enum class TraceField : uint8_t {
  time,
  kind,
  pid,
  comm,
  holders,
  local,
  remote,
  family,
  cookie,
  netns,
  name,
  old_state,  // "old"
  new_state,  // "new"
  prev_state_ms,
  lifetime_ms,
  time_wait,
  fin_wait2_timewait,
  state,
  segs,
  no_socket,
  reason,
  reset,
};

// Every field, in JSON order.
std::span<const TraceField> all_trace_fields();
std::string_view trace_field_name(TraceField f);
std::optional<TraceField> parse_trace_field(std::string_view name);
// "time, kind, pid, ...": for the message that rejects an unknown name.
std::string trace_field_list();

}  // namespace tcpsight
