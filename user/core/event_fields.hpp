// What trace's line formats share (event_format.cpp, trace_columns.cpp): an event with what is
// known about it, and the parts of it that both text layouts show the same way. Internal to core.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/event_format.hpp"

namespace tcpsight::trace_detail {

// Everything a field's value may come from.
struct EventView {
  const ts_event& e;
  const Owner& owner;
  const Clock& clock;
  std::span<const std::string> reset_reasons;
  const std::string* netns_name;
};

inline bool is_state(const ts_event& e) { return e.kind == TS_EV_STATE; }
inline bool timing_known(const ts_event& e) { return (e.flags & TS_F_TIMING_KNOWN) != 0; }
// A close of a socket whose opening tcpsight saw: only then is its lifetime known.
inline bool lifetime_known(const ts_event& e) {
  return is_state(e) && e.new_state == TS_CLOSE && timing_known(e) && e.lifetime_ns;
}

// What a reset's reason is called (6.10+; "?" for a value the kernel's BTF does not name), empty
// when the kernel gave none.
std::string_view reset_reason_of(const ts_event& e, std::span<const std::string> names);
// HH:MM:SS.uuuuuu in local time.
std::string clock_text(const Clock& clock, uint64_t mono_ns);

}  // namespace tcpsight::trace_detail
