// One trace line per event: for people, and as JSON for scripts.
#pragma once

#include <fmt/format.h>

#include <span>
#include <string>

#include "core/owner.hpp"
#include "core/trace_fields.hpp"
#include "tcpsight/abi.h"

namespace tcpsight {

// Converts the kernel's monotonic timestamps to wall-clock time.
struct Clock {
  double realtime_minus_monotonic_s = 0;
  static Clock now();
  double wall_seconds(uint64_t mono_ns) const { return static_cast<double>(mono_ns) / 1e9 + realtime_minus_monotonic_s; }
};

std::string_view event_kind_name(int kind);

// `with_netns`: a first column, the name of the event's network namespace (trace -A, --netns).
std::string trace_header(bool with_netns = false);
// PID is the owner's, "-" when unknown, with "+N" when N more processes hold the socket. COMM is
// cleaned of control characters and invalid UTF-8 (safe_display_name): it is whatever the process
// named itself, and reaches a terminal.
// `reset_reasons`: the kernel's enum sk_rst_reason names by value (kernel_facts), for resets sent.
// `netns_name`: the name of the event's namespace, shown first; nullptr: no such column.
std::string format_trace_line(const ts_event& e, const Owner& owner, const Clock& clock,
                              std::span<const std::string> reset_reasons = {},
                              const std::string* netns_name = nullptr);
// One JSON object, no newline (design.md §4 `trace --json`). "holders": how many processes held
// the socket's file at the last owner scan that saw it, null when none did. `netns_name`: added as
// "name" beside "netns".
std::string trace_json(const ts_event& e, const Owner& owner, const Clock& clock,
                       std::span<const std::string> reset_reasons = {}, const std::string* netns_name = nullptr);

// `trace --fields`: only these fields, in this order. Text: one column each, headed by the field's
// name in capitals, '-' where JSON has null. JSON: every field chosen on every line, null where it
// does not apply to the event's kind (a full line leaves such keys out).
std::string trace_header(std::span<const TraceField> fields);
std::string format_trace_line(std::span<const TraceField> fields, const ts_event& e, const Owner& owner,
                              const Clock& clock, std::span<const std::string> reset_reasons = {},
                              const std::string* netns_name = nullptr);
std::string trace_json(std::span<const TraceField> fields, const ts_event& e, const Owner& owner, const Clock& clock,
                       std::span<const std::string> reset_reasons = {}, const std::string* netns_name = nullptr);

// The same lines appended to `out` (no newline): `trace` reuses one buffer for every event, so a
// line costs no allocation. Byte for byte what the functions above return.
void append_trace_line(fmt::memory_buffer& out, const ts_event& e, const Owner& owner, const Clock& clock,
                       std::span<const std::string> reset_reasons = {}, const std::string* netns_name = nullptr);
void append_trace_json(fmt::memory_buffer& out, const ts_event& e, const Owner& owner, const Clock& clock,
                       std::span<const std::string> reset_reasons = {}, const std::string* netns_name = nullptr);
void append_trace_line(fmt::memory_buffer& out, std::span<const TraceField> fields, const ts_event& e,
                       const Owner& owner, const Clock& clock, std::span<const std::string> reset_reasons = {},
                       const std::string* netns_name = nullptr);
void append_trace_json(fmt::memory_buffer& out, std::span<const TraceField> fields, const ts_event& e,
                       const Owner& owner, const Clock& clock, std::span<const std::string> reset_reasons = {},
                       const std::string* netns_name = nullptr);

// The same with the owner the event itself names.
inline std::string format_trace_line(const ts_event& e, const Clock& clock) {
  return format_trace_line(e, named_by_event(e), clock);
}
inline std::string trace_json(const ts_event& e, const Clock& clock) { return trace_json(e, named_by_event(e), clock); }

}  // namespace tcpsight
