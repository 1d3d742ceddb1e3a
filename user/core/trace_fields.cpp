#include "core/trace_fields.hpp"

#include <array>

namespace tcpsight {

namespace {

struct Named {
  TraceField field;
  std::string_view name;
};

// The JSON keys trace_json writes, in its order (a change here changes the documented interface).
constexpr std::array<Named, 22> kFields{{
    {TraceField::time, "time"},
    {TraceField::kind, "kind"},
    {TraceField::pid, "pid"},
    {TraceField::comm, "comm"},
    {TraceField::holders, "holders"},
    {TraceField::local, "local"},
    {TraceField::remote, "remote"},
    {TraceField::family, "family"},
    {TraceField::cookie, "cookie"},
    {TraceField::netns, "netns"},
    {TraceField::name, "name"},
    {TraceField::old_state, "old"},
    {TraceField::new_state, "new"},
    {TraceField::prev_state_ms, "prev_state_ms"},
    {TraceField::lifetime_ms, "lifetime_ms"},
    {TraceField::time_wait, "time_wait"},
    {TraceField::fin_wait2_timewait, "fin_wait2_timewait"},
    {TraceField::state, "state"},
    {TraceField::segs, "segs"},
    {TraceField::no_socket, "no_socket"},
    {TraceField::reason, "reason"},
    {TraceField::reset, "reset"},
}};

// Listed in the enum's order, so that a field's name is found by its value.
static_assert([] {
  for (size_t i = 0; i < kFields.size(); ++i)
    if (static_cast<size_t>(kFields[i].field) != i) return false;
  return true;
}());

constexpr std::array<TraceField, kFields.size()> kOrder = [] {
  std::array<TraceField, kFields.size()> out{};
  for (size_t i = 0; i < kFields.size(); ++i) out[i] = kFields[i].field;
  return out;
}();

}  // namespace

std::span<const TraceField> all_trace_fields() { return kOrder; }

std::string_view trace_field_name(TraceField f) {
  const auto i = static_cast<size_t>(f);
  return i < kFields.size() ? kFields[i].name : "?";
}

std::optional<TraceField> parse_trace_field(std::string_view name) {
  for (const Named& n : kFields)
    if (n.name == name) return n.field;
  return std::nullopt;
}

std::string trace_field_list() {
  std::string out;
  for (const Named& n : kFields) {
    if (!out.empty()) out += ", ";
    out += n.name;
  }
  return out;
}

}  // namespace tcpsight
