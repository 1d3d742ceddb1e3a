#include "core/event_format.hpp"

#include <fmt/format.h>

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <iterator>
#include <cstring>
#include <ctime>
#include <vector>

#include "core/address.hpp"
#include "core/display_name.hpp"
#include "core/event_fields.hpp"
#include "core/line_append.hpp"
#include "core/tcp_state.hpp"
#include "core/wall_clock.hpp"

namespace tcpsight {

namespace {

double seconds_of(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// A short piece of a line, formatted on the stack before it is padded into its column.
struct ShortText {
  char data[64];
  size_t size = 0;
  std::string_view view() const { return {data, size}; }
};

template <class... Args>
ShortText short_text(fmt::format_string<Args...> format, Args&&... args) {
  ShortText t;
  const auto r = fmt::format_to_n(t.data, sizeof t.data, format, std::forward<Args>(args)...);
  t.size = std::min(r.size, sizeof t.data);
  return t;
}

ShortText pid_text(const Owner& owner) {
  if (!owner.known()) return short_text("-");
  const size_t others = owner.other_holders();
  return others ? short_text("{}+{}", owner.tgid, others) : short_text("{}", owner.tgid);
}

ShortText transition_of(const ts_event& e) {
  if (e.kind == TS_EV_STATE) return short_text("{}->{}", state_name(e.old_state), state_name(e.new_state));
  if (e.flags & TS_F_NO_SOCKET) return short_text("{}, no socket", event_kind_name(e.kind));
  return short_text("{} in {}", event_kind_name(e.kind), state_name(e.new_state));
}

// format_endpoint() without a string: "10.0.0.1:80", "[::1]:80", "?:80" for no address family.
void append_endpoint_text(fmt::memory_buffer& out, uint8_t family, const uint8_t addr[16], uint16_t port) {
  if (family == AF_INET6) out.push_back('[');
  append_address(out, family, addr);
  if (family == AF_INET6) out.push_back(']');
  out.push_back(':');
  append_decimal(out, port);
}

bool printable_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

// Text from outside (comm) as visible_text() shows it; a name of printable ASCII, the usual one, is
// its own visible form and needs no copy.
std::string_view visible_view(std::string_view text, std::string& scratch) {
  if (printable_ascii(text)) return text;
  scratch = visible_text(text);
  return scratch;
}

// COMM for a terminal, "?" when unknown.
std::string_view comm_text(const Owner& owner, std::string& scratch) {
  if (!owner.known()) return "?";
  return visible_view(std::string_view(owner.comm).substr(0, sizeof ts_event{}.comm), scratch);
}

// The microseconds are cut (not rounded) from the event's own nanoseconds. Taking them
// from the sum as a double would not do: at 1.7e9 s a double resolves 0.24 us, so 2.6 s showed as
// .599999.
ShortText clock_short(const Clock& clock, uint64_t mono_ns) {
  const double whole_s = std::floor(clock.realtime_minus_monotonic_s);
  const auto offset_ns = static_cast<uint64_t>(std::llround((clock.realtime_minus_monotonic_s - whole_s) * 1e9));
  const uint64_t ns = mono_ns + offset_ns;
  const double seconds = whole_s + static_cast<double>(ns / 1'000'000'000);
  return short_text("{}.{:06d}", local_hms(seconds), (ns % 1'000'000'000) / 1000);
}

}  // namespace

namespace trace_detail {

std::string_view reset_reason_of(const ts_event& e, std::span<const std::string> names) {
  if (e.kind != TS_EV_RESET_SENT || !e.reason) return {};
  return e.reason < names.size() && !names[e.reason].empty() ? std::string_view(names[e.reason]) : "?";
}

std::string clock_text(const Clock& clock, uint64_t mono_ns) { return std::string(clock_short(clock, mono_ns).view()); }

}  // namespace trace_detail

using namespace trace_detail;

Clock Clock::now() { return {seconds_of(CLOCK_REALTIME) - seconds_of(CLOCK_MONOTONIC)}; }

std::string_view event_kind_name(int kind) {
  switch (kind) {
    case TS_EV_STATE: return "state";
    case TS_EV_RETRANSMIT: return "retransmit";
    case TS_EV_SYNACK_RETRANSMIT: return "synack_retransmit";
    case TS_EV_RESET_SENT: return "reset_sent";
    case TS_EV_RESET_RECEIVED: return "reset_received";
    default: return "unknown";
  }
}

namespace {
// The namespace column: names are cut to its width, so that the columns after it stay aligned.
constexpr const char* kNetnsColumn = "{:<20.20} ";
}  // namespace

std::string trace_header(bool with_netns) {
  return (with_netns ? fmt::format(fmt::runtime(kNetnsColumn), "NETNS") : std::string()) +
         fmt::format("{:<15} {:>7} {:<15} {:<21} {:<21} {:<26} {:>9}", "TIME", "PID", "COMM", "LOCAL", "REMOTE",
                     "EVENT", "MS");
}

void append_trace_line(fmt::memory_buffer& out, const ts_event& e, const Owner& owner, const Clock& clock,
                       std::span<const std::string> reset_reasons, const std::string* netns_name) {
  const ShortText ms = (e.kind == TS_EV_STATE && (e.flags & TS_F_TIMING_KNOWN))
                           ? short_text("{:.3f}", static_cast<double>(e.prev_state_ns) / 1e6)
                           : short_text("-");
  if (netns_name) fmt::format_to(fmt::appender(out), fmt::runtime(kNetnsColumn), *netns_name);
  std::string comm_scratch;  // only for a name that needs cleaning
  fmt::memory_buffer local, remote;
  append_endpoint_text(local, e.family, e.saddr, e.sport);
  append_endpoint_text(remote, e.family, e.daddr, e.dport);
  fmt::format_to(fmt::appender(out), "{:<15} {:>7} {:<15} {:<21} {:<21} {:<26} {:>9}",
                 clock_short(clock, e.ts_ns).view(), pid_text(owner).view(), comm_text(owner, comm_scratch),
                 std::string_view(local.data(), local.size()), std::string_view(remote.data(), remote.size()),
                 transition_of(e).view(), ms.view());
  if (e.flags & TS_F_TIME_WAIT) append_text(out, (e.flags & TS_F_FIN_WAIT2_TW) ? " time-wait:fin-wait-2" : " time-wait");
  if (e.flags & TS_F_RESET) append_text(out, " reset");
  if (e.flags & TS_F_NO_SOCKET) append_text(out, " no-socket");
  if (e.kind == TS_EV_RETRANSMIT) fmt::format_to(fmt::appender(out), " segs={}", e.segs ? e.segs : 1);
  if (const auto reason = reset_reason_of(e, reset_reasons); !reason.empty())
    fmt::format_to(fmt::appender(out), " reason={}", reason);
}

std::string format_trace_line(const ts_event& e, const Owner& owner, const Clock& clock,
                              std::span<const std::string> reset_reasons, const std::string* netns_name) {
  fmt::memory_buffer out;
  append_trace_line(out, e, owner, clock, reset_reasons, netns_name);
  return fmt::to_string(out);
}

namespace {

// The per-event path of `trace --json`: written straight into a buffer, no document built.
void append_endpoint(fmt::memory_buffer& out, uint8_t family, const uint8_t addr[16], uint16_t port) {
  out.push_back('"');
  append_endpoint_text(out, family, addr, port);
  out.push_back('"');
}

// A JSON string of text from outside (comm, a namespace's name): its visible_text(), so that neither
// the line nor what a reader decodes from it holds a control character, and it is valid UTF-8
// whatever the bytes were; then '"' and '\\' escaped.
void append_json_string(fmt::memory_buffer& out, std::string_view text) {
  std::string scratch;
  out.push_back('"');
  for (const char ch : visible_view(text, scratch)) {
    if (ch == '"' || ch == '\\') out.push_back('\\');
    out.push_back(ch);
  }
  out.push_back('"');
}

void append_ms_or_null(fmt::memory_buffer& out, bool known, uint64_t ns) {
  if (known)
    append_ns_as_ms6(out, ns);
  else
    append_text(out, "null");
}

void append_quoted(fmt::memory_buffer& out, std::string_view text) {
  out.push_back('"');
  append_text(out, text);
  out.push_back('"');
}
void append_bool_or_null(fmt::memory_buffer& out, bool applies, bool value) {
  append_text(out, !applies ? "null" : value ? "true" : "false");
}
void append_number(fmt::memory_buffer& out, uint64_t n) { append_decimal(out, n); }

// One field's JSON value: null where the field does not apply to this kind of event, or is unknown.
// Straight appends rather than format strings: this runs for every key of every line.
void append_json_value(fmt::memory_buffer& out, TraceField f, const EventView& v) {
  const ts_event& e = v.e;
  switch (f) {
    case TraceField::time: append_fixed6(out, v.clock.wall_seconds(e.ts_ns)); return;
    case TraceField::kind: append_quoted(out, event_kind_name(e.kind)); return;
    case TraceField::pid:
      if (v.owner.known()) append_number(out, v.owner.tgid);
      else append_text(out, "null");
      return;
    case TraceField::comm:
      if (v.owner.known()) append_json_string(out, v.owner.comm);
      else append_text(out, "null");
      return;
    case TraceField::holders:
      if (v.owner.holders.empty()) append_text(out, "null");
      else append_number(out, v.owner.holders.size());
      return;
    case TraceField::local: append_endpoint(out, e.family, e.saddr, e.sport); return;
    case TraceField::remote: append_endpoint(out, e.family, e.daddr, e.dport); return;
    case TraceField::family: append_quoted(out, e.family == AF_INET6 ? "ipv6" : "ipv4"); return;
    case TraceField::cookie: append_number(out, e.cookie); return;
    case TraceField::netns: append_number(out, e.netns); return;
    case TraceField::name:
      if (v.netns_name) append_json_string(out, *v.netns_name);
      else append_text(out, "null");
      return;
    case TraceField::old_state:
    case TraceField::new_state:
      if (is_state(e)) append_quoted(out, state_name(f == TraceField::old_state ? e.old_state : e.new_state));
      else append_text(out, "null");
      return;
    case TraceField::prev_state_ms: append_ms_or_null(out, is_state(e) && timing_known(e), e.prev_state_ns); return;
    case TraceField::lifetime_ms: append_ms_or_null(out, lifetime_known(e), e.lifetime_ns); return;
    case TraceField::time_wait: append_bool_or_null(out, is_state(e), e.flags & TS_F_TIME_WAIT); return;
    case TraceField::fin_wait2_timewait: append_bool_or_null(out, is_state(e), e.flags & TS_F_FIN_WAIT2_TW); return;
    case TraceField::state:
      if (is_state(e) || (e.flags & TS_F_NO_SOCKET)) append_text(out, "null");
      else append_quoted(out, state_name(e.new_state));
      return;
    case TraceField::segs:
      if (e.kind == TS_EV_RETRANSMIT) append_number(out, e.segs ? e.segs : 1);
      else append_text(out, "null");
      return;
    case TraceField::no_socket: append_bool_or_null(out, e.kind == TS_EV_RESET_SENT, e.flags & TS_F_NO_SOCKET); return;
    case TraceField::reason:
      if (const auto reason = reset_reason_of(e, v.reset_reasons); !reason.empty()) append_json_string(out, reason);
      else append_text(out, "null");
      return;
    case TraceField::reset: append_bool_or_null(out, true, e.flags & TS_F_RESET); return;
  }
}

// "name": of each field, padded so that one fixed-size copy writes it (the longest, "fin_wait2_timewait":, is 21).
struct JsonKey {
  char text[24] = {};
  uint8_t size = 0;
};

const JsonKey& json_key(TraceField f) {
  static const std::vector<JsonKey> keys = [] {
    std::vector<JsonKey> out;
    for (const TraceField field : all_trace_fields()) {
      const auto i = static_cast<size_t>(field);
      if (out.size() <= i) out.resize(i + 1);
      const auto r = fmt::format_to_n(out[i].text, sizeof out[i].text, "\"{}\":", trace_field_name(field));
      out[i].size = static_cast<uint8_t>(r.size);
    }
    return out;
  }();
  return keys[static_cast<size_t>(f)];
}

void append_key(fmt::memory_buffer& out, TraceField f) {
  const JsonKey& key = json_key(f);
  const size_t size = out.size();
  out.reserve(size + sizeof key.text);
  std::memcpy(out.data() + size, key.text, sizeof key.text);
  out.resize(size + key.size);
}

void append_json_object(fmt::memory_buffer& out, std::span<const TraceField> fields, const EventView& v) {
  out.push_back('{');
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) out.push_back(',');
    append_key(out, fields[i]);
    append_json_value(out, fields[i], v);
  }
  out.push_back('}');
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

}  // namespace

void append_trace_json(fmt::memory_buffer& out, const ts_event& e, const Owner& owner, const Clock& clock,
                       std::span<const std::string> reset_reasons, const std::string* netns_name) {
  std::array<TraceField, 22> fields{};
  const size_t n = default_json_fields(e, netns_name != nullptr, fields);
  append_json_object(out, std::span(fields).first(n), {e, owner, clock, reset_reasons, netns_name});
}

void append_trace_json(fmt::memory_buffer& out, std::span<const TraceField> fields, const ts_event& e,
                       const Owner& owner, const Clock& clock, std::span<const std::string> reset_reasons,
                       const std::string* netns_name) {
  append_json_object(out, fields, {e, owner, clock, reset_reasons, netns_name});
}

std::string trace_json(const ts_event& e, const Owner& owner, const Clock& clock,
                       std::span<const std::string> reset_reasons, const std::string* netns_name) {
  fmt::memory_buffer out;
  append_trace_json(out, e, owner, clock, reset_reasons, netns_name);
  return fmt::to_string(out);
}

std::string trace_json(std::span<const TraceField> fields, const ts_event& e, const Owner& owner, const Clock& clock,
                       std::span<const std::string> reset_reasons, const std::string* netns_name) {
  fmt::memory_buffer out;
  append_trace_json(out, fields, e, owner, clock, reset_reasons, netns_name);
  return fmt::to_string(out);
}

}  // namespace tcpsight
