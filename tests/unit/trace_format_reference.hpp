// trace's line formats as they were before they wrote into a reused buffer: a test-only reference
// (trace_format_reference.cpp) for the equivalence test of the buffered ones.
#pragma once

#include <span>
#include <string>

#include "core/event_format.hpp"

namespace tcpsight::reference {

std::string format_trace_line(const ts_event& e, const Owner& owner, const Clock& clock,
                              std::span<const std::string> reset_reasons = {},
                              const std::string* netns_name = nullptr);
std::string trace_json(const ts_event& e, const Owner& owner, const Clock& clock,
                       std::span<const std::string> reset_reasons = {}, const std::string* netns_name = nullptr);
std::string format_trace_line(std::span<const TraceField> fields, const ts_event& e, const Owner& owner,
                              const Clock& clock, std::span<const std::string> reset_reasons = {},
                              const std::string* netns_name = nullptr);
std::string trace_json(std::span<const TraceField> fields, const ts_event& e, const Owner& owner, const Clock& clock,
                       std::span<const std::string> reset_reasons = {}, const std::string* netns_name = nullptr);

}  // namespace tcpsight::reference
