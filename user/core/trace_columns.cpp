// trace --fields as text: one column per field chosen, headed by its name (event_format.hpp).
#include <fmt/format.h>

#include <sys/socket.h>

#include <cctype>
#include <iterator>

#include "core/address.hpp"
#include "core/display_name.hpp"
#include "core/event_fields.hpp"
#include "core/event_format.hpp"
#include "core/tcp_state.hpp"

namespace tcpsight {

using namespace trace_detail;

namespace {

struct TextColumn {
  size_t width;
  bool right;  // numbers are right-aligned, words left
};

TextColumn text_column(TraceField f) {
  switch (f) {
    case TraceField::time: return {15, false};
    case TraceField::kind: return {17, false};
    case TraceField::pid: return {7, true};
    case TraceField::comm: return {15, false};
    case TraceField::holders: return {7, true};
    case TraceField::local:
    case TraceField::remote: return {21, false};
    case TraceField::family: return {6, false};
    case TraceField::cookie:
    case TraceField::netns: return {10, true};
    case TraceField::name: return {20, false};
    case TraceField::old_state:
    case TraceField::new_state:
    case TraceField::state: return {11, false};
    case TraceField::prev_state_ms: return {13, true};
    case TraceField::lifetime_ms: return {11, true};
    case TraceField::time_wait: return {9, false};
    case TraceField::fin_wait2_timewait: return {18, false};
    case TraceField::segs: return {4, true};
    case TraceField::no_socket: return {9, false};
    case TraceField::reason: return {13, false};
    case TraceField::reset: return {5, false};
  }
  return {1, false};
}

std::string yes_no_or_dash(bool applies, bool value) { return !applies ? "-" : value ? "yes" : "no"; }
std::string ms_or_dash(bool known, uint64_t ns) {
  return known ? fmt::format("{:.3f}", static_cast<double>(ns) / 1e6) : "-";
}

// One field as text: '-' exactly where JSON has null.
std::string text_value(TraceField f, const EventView& v) {
  const ts_event& e = v.e;
  switch (f) {
    case TraceField::time: return clock_text(v.clock, e.ts_ns);
    case TraceField::kind: return std::string(event_kind_name(e.kind));
    case TraceField::pid: return v.owner.known() ? std::to_string(v.owner.tgid) : "-";
    case TraceField::comm: return v.owner.known() ? visible_text(std::string_view(v.owner.comm).substr(0, sizeof e.comm)) : "-";
    case TraceField::holders: return v.owner.holders.empty() ? "-" : std::to_string(v.owner.holders.size());
    case TraceField::local: return format_endpoint(IpAddress::from_raw(e.family, e.saddr), e.sport);
    case TraceField::remote: return format_endpoint(IpAddress::from_raw(e.family, e.daddr), e.dport);
    case TraceField::family: return e.family == AF_INET6 ? "ipv6" : "ipv4";
    case TraceField::cookie: return std::to_string(e.cookie);
    case TraceField::netns: return std::to_string(e.netns);
    case TraceField::name: return v.netns_name ? fmt::format("{:.20}", *v.netns_name) : "-";
    case TraceField::old_state: return is_state(e) ? std::string(state_name(e.old_state)) : "-";
    case TraceField::new_state: return is_state(e) ? std::string(state_name(e.new_state)) : "-";
    case TraceField::prev_state_ms: return ms_or_dash(is_state(e) && timing_known(e), e.prev_state_ns);
    case TraceField::lifetime_ms: return ms_or_dash(lifetime_known(e), e.lifetime_ns);
    case TraceField::time_wait: return yes_no_or_dash(is_state(e), e.flags & TS_F_TIME_WAIT);
    case TraceField::fin_wait2_timewait: return yes_no_or_dash(is_state(e), e.flags & TS_F_FIN_WAIT2_TW);
    case TraceField::state:
      return is_state(e) || (e.flags & TS_F_NO_SOCKET) ? "-" : std::string(state_name(e.new_state));
    case TraceField::segs: return e.kind == TS_EV_RETRANSMIT ? std::to_string(e.segs ? e.segs : 1) : "-";
    case TraceField::no_socket: return yes_no_or_dash(e.kind == TS_EV_RESET_SENT, e.flags & TS_F_NO_SOCKET);
    case TraceField::reason: {
      const auto reason = reset_reason_of(e, v.reset_reasons);
      return reason.empty() ? "-" : std::string(reason);
    }
    case TraceField::reset: return yes_no_or_dash(true, e.flags & TS_F_RESET);
  }
  return "-";
}

// Columns separated by one space, each padded to its width (header names included); the last is not
// padded on the right, so that no line ends in blanks.
template <class Text>
void append_columns(fmt::memory_buffer& out, std::span<const TraceField> fields, const Text& text_of) {
  for (size_t i = 0; i < fields.size(); ++i) {
    const TextColumn c = text_column(fields[i]);
    const std::string text = text_of(fields[i]);
    const bool last = i + 1 == fields.size();
    if (i) out.push_back(' ');
    if (c.right)
      fmt::format_to(std::back_inserter(out), "{:>{}}", text, c.width);
    else if (last)
      out.append(text.data(), text.data() + text.size());
    else
      fmt::format_to(std::back_inserter(out), "{:<{}}", text, c.width);
  }
}

std::string header_name(TraceField f) {
  std::string h(trace_field_name(f));
  for (char& c : h) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return h;
}

}  // namespace

std::string trace_header(std::span<const TraceField> fields) {
  fmt::memory_buffer out;
  append_columns(out, fields, header_name);
  return fmt::to_string(out);
}

void append_trace_line(fmt::memory_buffer& out, std::span<const TraceField> fields, const ts_event& e,
                       const Owner& owner, const Clock& clock, std::span<const std::string> reset_reasons,
                       const std::string* netns_name) {
  const EventView v{e, owner, clock, reset_reasons, netns_name};
  append_columns(out, fields, [&](TraceField f) { return text_value(f, v); });
}

std::string format_trace_line(std::span<const TraceField> fields, const ts_event& e, const Owner& owner,
                              const Clock& clock, std::span<const std::string> reset_reasons,
                              const std::string* netns_name) {
  fmt::memory_buffer out;
  append_trace_line(out, fields, e, owner, clock, reset_reasons, netns_name);
  return fmt::to_string(out);
}

}  // namespace tcpsight
