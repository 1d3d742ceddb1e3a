// A test-only copy of trace's line formats as they were before they wrote into a reused buffer
// (user/core/event_format.cpp and trace_columns.cpp at 1ed6961): the reference that
// core_trace_format_equivalence_test.cpp compares the buffered formats with, byte for byte.
#include "trace_format_reference.hpp"

#include <fmt/format.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <array>
#include <iterator>

#include "core/address.hpp"
#include "core/display_name.hpp"
#include "core/event_fields.hpp"
#include "core/tcp_state.hpp"

namespace tcpsight::reference {

using namespace trace_detail;

namespace {

std::string pid_text(const Owner& owner) {
  if (!owner.known()) return "-";
  const size_t others = owner.other_holders();
  return others ? fmt::format("{}+{}", owner.tgid, others) : std::to_string(owner.tgid);
}

std::string transition_of(const ts_event& e) {
  if (e.kind == TS_EV_STATE) return fmt::format("{}->{}", state_name(e.old_state), state_name(e.new_state));
  if (e.flags & TS_F_NO_SOCKET) return fmt::format("{}, no socket", event_kind_name(e.kind));
  return fmt::format("{} in {}", event_kind_name(e.kind), state_name(e.new_state));
}

// The namespace column: names are cut to its width, so that the columns after it stay aligned.
constexpr const char* kNetnsColumn = "{:<20.20} ";

// The per-event path of `trace --json`: written straight into a buffer, no document built.
void append_endpoint(fmt::memory_buffer& out, uint8_t family, const uint8_t addr[16], uint16_t port) {
  char host[INET6_ADDRSTRLEN] = "?";
  if (family == AF_INET || family == AF_INET6) inet_ntop(family, addr, host, sizeof host);
  if (family == AF_INET6)
    fmt::format_to(std::back_inserter(out), "\"[{}]:{}\"", host, port);
  else
    fmt::format_to(std::back_inserter(out), "\"{}:{}\"", host, port);
}

// comm is whatever the process named itself: its visible form, escaped so every line stays valid JSON.
void append_json_string(fmt::memory_buffer& out, std::string_view text) {
  out.push_back('"');
  for (const char ch : visible_text(text)) {
    if (ch == '"' || ch == '\\') out.push_back('\\');
    out.push_back(ch);
  }
  out.push_back('"');
}

void append_ms_or_null(fmt::memory_buffer& out, bool known, uint64_t ns) {
  if (known)
    fmt::format_to(std::back_inserter(out), "{:.6f}", static_cast<double>(ns) / 1e6);
  else
    fmt::format_to(std::back_inserter(out), "null");
}

void append(fmt::memory_buffer& out, std::string_view text) { out.append(text.data(), text.data() + text.size()); }
void append_quoted(fmt::memory_buffer& out, std::string_view text) {
  out.push_back('"');
  append(out, text);
  out.push_back('"');
}
void append_bool_or_null(fmt::memory_buffer& out, bool applies, bool value) {
  append(out, !applies ? "null" : value ? "true" : "false");
}
template <class T>
void append_number(fmt::memory_buffer& out, T n) {
  fmt::format_to(std::back_inserter(out), "{}", n);
}

// One field's JSON value: null where the field does not apply to this kind of event, or is unknown.
// Straight appends rather than format strings: this runs for every key of every line.
void append_json_value(fmt::memory_buffer& out, TraceField f, const EventView& v) {
  const ts_event& e = v.e;
  switch (f) {
    case TraceField::time: fmt::format_to(std::back_inserter(out), "{:.6f}", v.clock.wall_seconds(e.ts_ns)); return;
    case TraceField::kind: append_quoted(out, event_kind_name(e.kind)); return;
    case TraceField::pid:
      if (v.owner.known()) append_number(out, v.owner.tgid);
      else append(out, "null");
      return;
    case TraceField::comm:
      if (v.owner.known()) append_json_string(out, v.owner.comm);
      else append(out, "null");
      return;
    case TraceField::holders:
      if (v.owner.holders.empty()) append(out, "null");
      else append_number(out, v.owner.holders.size());
      return;
    case TraceField::local: append_endpoint(out, e.family, e.saddr, e.sport); return;
    case TraceField::remote: append_endpoint(out, e.family, e.daddr, e.dport); return;
    case TraceField::family: append_quoted(out, e.family == AF_INET6 ? "ipv6" : "ipv4"); return;
    case TraceField::cookie: append_number(out, e.cookie); return;
    case TraceField::netns: append_number(out, e.netns); return;
    case TraceField::name:
      if (v.netns_name) append_json_string(out, *v.netns_name);
      else append(out, "null");
      return;
    case TraceField::old_state:
    case TraceField::new_state:
      if (is_state(e)) append_quoted(out, state_name(f == TraceField::old_state ? e.old_state : e.new_state));
      else append(out, "null");
      return;
    case TraceField::prev_state_ms: append_ms_or_null(out, is_state(e) && timing_known(e), e.prev_state_ns); return;
    case TraceField::lifetime_ms: append_ms_or_null(out, lifetime_known(e), e.lifetime_ns); return;
    case TraceField::time_wait: append_bool_or_null(out, is_state(e), e.flags & TS_F_TIME_WAIT); return;
    case TraceField::fin_wait2_timewait: append_bool_or_null(out, is_state(e), e.flags & TS_F_FIN_WAIT2_TW); return;
    case TraceField::state:
      if (is_state(e) || (e.flags & TS_F_NO_SOCKET)) append(out, "null");
      else append_quoted(out, state_name(e.new_state));
      return;
    case TraceField::segs:
      if (e.kind == TS_EV_RETRANSMIT) append_number(out, e.segs ? e.segs : 1);
      else append(out, "null");
      return;
    case TraceField::no_socket: append_bool_or_null(out, e.kind == TS_EV_RESET_SENT, e.flags & TS_F_NO_SOCKET); return;
    case TraceField::reason:
      if (const auto reason = reset_reason_of(e, v.reset_reasons); !reason.empty()) append_json_string(out, reason);
      else append(out, "null");
      return;
    case TraceField::reset: append_bool_or_null(out, true, e.flags & TS_F_RESET); return;
  }
}

std::string json_object(std::span<const TraceField> fields, const EventView& v) {
  fmt::memory_buffer out;
  out.push_back('{');
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) out.push_back(',');
    append_quoted(out, trace_field_name(fields[i]));
    out.push_back(':');
    append_json_value(out, fields[i], v);
  }
  out.push_back('}');
  return fmt::to_string(out);
}

// The keys a full line has: those that apply to this kind of event (design.md §4's interface, kept
// as it was before --fields existed).
size_t default_json_fields(const ts_event& e, bool with_name, std::array<TraceField, 22>& out) {
  size_t n = 0;
  for (const TraceField f : {TraceField::time, TraceField::kind, TraceField::pid, TraceField::comm, TraceField::holders,
                             TraceField::local, TraceField::remote, TraceField::family, TraceField::cookie,
                             TraceField::netns})
    out[n++] = f;
  if (with_name) out[n++] = TraceField::name;
  if (is_state(e)) {
    out[n++] = TraceField::old_state;
    out[n++] = TraceField::new_state;
    out[n++] = TraceField::prev_state_ms;
    if (e.new_state == TS_CLOSE) out[n++] = TraceField::lifetime_ms;
    out[n++] = TraceField::time_wait;
    out[n++] = TraceField::fin_wait2_timewait;
  } else {
    out[n++] = TraceField::state;
  }
  if (e.kind == TS_EV_RETRANSMIT) out[n++] = TraceField::segs;
  if (e.kind == TS_EV_RESET_SENT) {
    out[n++] = TraceField::no_socket;
    out[n++] = TraceField::reason;
  }
  out[n++] = TraceField::reset;
  return n;
}

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
    case TraceField::comm: return v.owner.known() ? visible_text(v.owner.comm.substr(0, sizeof e.comm)) : "-";
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
std::string columns(std::span<const TraceField> fields, const Text& text_of) {
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) {
    const TextColumn c = text_column(fields[i]);
    const std::string text = text_of(fields[i]);
    const bool last = i + 1 == fields.size();
    if (i) line.push_back(' ');
    if (c.right)
      line += fmt::format("{:>{}}", text, c.width);
    else if (last)
      line += text;
    else
      line += fmt::format("{:<{}}", text, c.width);
  }
  return line;
}

}  // namespace

std::string format_trace_line(const ts_event& e, const Owner& owner, const Clock& clock,
                              std::span<const std::string> reset_reasons, const std::string* netns_name) {
  const std::string ms = (e.kind == TS_EV_STATE && (e.flags & TS_F_TIMING_KNOWN))
                             ? fmt::format("{:.3f}", static_cast<double>(e.prev_state_ns) / 1e6)
                             : "-";
  std::string line = netns_name ? fmt::format(fmt::runtime(kNetnsColumn), *netns_name) : std::string();
  line += fmt::format(
      "{:<15} {:>7} {:<15} {:<21} {:<21} {:<26} {:>9}", clock_text(clock, e.ts_ns),
      pid_text(owner), owner.known() ? visible_text(owner.comm.substr(0, sizeof e.comm)) : "?",
      format_endpoint(IpAddress::from_raw(e.family, e.saddr), e.sport),
      format_endpoint(IpAddress::from_raw(e.family, e.daddr), e.dport), transition_of(e), ms);
  if (e.flags & TS_F_TIME_WAIT) line += (e.flags & TS_F_FIN_WAIT2_TW) ? " time-wait:fin-wait-2" : " time-wait";
  if (e.flags & TS_F_RESET) line += " reset";
  if (e.flags & TS_F_NO_SOCKET) line += " no-socket";
  if (e.kind == TS_EV_RETRANSMIT) line += fmt::format(" segs={}", e.segs ? e.segs : 1);
  if (const auto reason = reset_reason_of(e, reset_reasons); !reason.empty()) line += fmt::format(" reason={}", reason);
  return line;
}

std::string trace_json(const ts_event& e, const Owner& owner, const Clock& clock,
                       std::span<const std::string> reset_reasons, const std::string* netns_name) {
  std::array<TraceField, 22> fields{};
  const size_t n = default_json_fields(e, netns_name != nullptr, fields);
  return json_object(std::span(fields).first(n), {e, owner, clock, reset_reasons, netns_name});
}

std::string trace_json(std::span<const TraceField> fields, const ts_event& e, const Owner& owner, const Clock& clock,
                       std::span<const std::string> reset_reasons, const std::string* netns_name) {
  return json_object(fields, {e, owner, clock, reset_reasons, netns_name});
}

std::string format_trace_line(std::span<const TraceField> fields, const ts_event& e, const Owner& owner,
                              const Clock& clock, std::span<const std::string> reset_reasons,
                              const std::string* netns_name) {
  const EventView v{e, owner, clock, reset_reasons, netns_name};
  return columns(fields, [&](TraceField f) { return text_value(f, v); });
}

}  // namespace tcpsight::reference
