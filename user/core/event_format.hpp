// One trace line per event: for people, and as JSON for scripts.
#pragma once

#include <span>
#include <string>

#include "tcpsight/abi.h"

namespace tcpsight {

// Converts the kernel's monotonic timestamps to wall-clock time.
struct Clock {
  double realtime_minus_monotonic_s = 0;
  static Clock now();
  double wall_seconds(uint64_t mono_ns) const { return static_cast<double>(mono_ns) / 1e9 + realtime_minus_monotonic_s; }
};

std::string_view event_kind_name(int kind);

std::string trace_header();
// `reset_reasons`: the kernel's enum sk_rst_reason names by value (kernel_facts), for resets sent.
std::string format_trace_line(const ts_event& e, const Clock& clock, std::span<const std::string> reset_reasons = {});
// One JSON object, no newline (design.md §4 `trace --json`).
std::string trace_json(const ts_event& e, const Clock& clock, std::span<const std::string> reset_reasons = {});

}  // namespace tcpsight
