#include "core/event_format.hpp"

#include <fmt/format.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cmath>
#include <iterator>
#include <cstring>
#include <ctime>

#include "core/address.hpp"
#include "core/tcp_state.hpp"
#include "core/wall_clock.hpp"

namespace tcpsight {

namespace {

double seconds_of(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

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

// What a reset's reason is called (6.10+), empty when the kernel gave none.
std::string_view reset_reason_of(const ts_event& e, std::span<const std::string> names) {
  if (e.kind != TS_EV_RESET_SENT || !e.reason) return {};
  return e.reason < names.size() && !names[e.reason].empty() ? std::string_view(names[e.reason]) : "?";
}

std::string clock_text(double wall) {
  return fmt::format("{}.{:06d}", local_hms(wall), static_cast<int>((wall - std::floor(wall)) * 1e6));
}

}  // namespace

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

std::string format_trace_line(const ts_event& e, const Owner& owner, const Clock& clock,
                              std::span<const std::string> reset_reasons, const std::string* netns_name) {
  const std::string ms = (e.kind == TS_EV_STATE && (e.flags & TS_F_TIMING_KNOWN))
                             ? fmt::format("{:.3f}", static_cast<double>(e.prev_state_ns) / 1e6)
                             : "-";
  std::string line = netns_name ? fmt::format(fmt::runtime(kNetnsColumn), *netns_name) : std::string();
  line += fmt::format(
      "{:<15} {:>7} {:<15} {:<21} {:<21} {:<26} {:>9}", clock_text(clock.wall_seconds(e.ts_ns)),
      pid_text(owner), owner.known() ? owner.comm : "?",
      format_endpoint(IpAddress::from_raw(e.family, e.saddr), e.sport),
      format_endpoint(IpAddress::from_raw(e.family, e.daddr), e.dport), transition_of(e), ms);
  if (e.flags & TS_F_TIME_WAIT) line += (e.flags & TS_F_FIN_WAIT2_TW) ? " time-wait:fin-wait-2" : " time-wait";
  if (e.flags & TS_F_RESET) line += " reset";
  if (e.flags & TS_F_NO_SOCKET) line += " no-socket";
  if (e.kind == TS_EV_RETRANSMIT) line += fmt::format(" segs={}", e.segs ? e.segs : 1);
  if (const auto reason = reset_reason_of(e, reset_reasons); !reason.empty()) line += fmt::format(" reason={}", reason);
  return line;
}

namespace {

// The per-event path of `trace --json`: written straight into a buffer, no document built.
void append_endpoint(fmt::memory_buffer& out, uint8_t family, const uint8_t addr[16], uint16_t port) {
  char host[INET6_ADDRSTRLEN] = "?";
  if (family == AF_INET || family == AF_INET6) inet_ntop(family, addr, host, sizeof host);
  if (family == AF_INET6)
    fmt::format_to(std::back_inserter(out), "\"[{}]:{}\"", host, port);
  else
    fmt::format_to(std::back_inserter(out), "\"{}:{}\"", host, port);
}

// comm is whatever the process named itself: escape it so every line stays valid JSON.
void append_json_string(fmt::memory_buffer& out, std::string_view text) {
  out.push_back('"');
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(ch);
    } else if (c < 0x20 || c >= 0x7f) {
      fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);  // bytes above ASCII as Latin-1
    } else {
      out.push_back(ch);
    }
  }
  out.push_back('"');
}

void append_ms_or_null(fmt::memory_buffer& out, bool known, uint64_t ns) {
  if (known)
    fmt::format_to(std::back_inserter(out), "{:.6f}", static_cast<double>(ns) / 1e6);
  else
    fmt::format_to(std::back_inserter(out), "null");
}

}  // namespace

std::string trace_json(const ts_event& e, const Owner& owner, const Clock& clock,
                       std::span<const std::string> reset_reasons, const std::string* netns_name) {
  const bool timing = e.flags & TS_F_TIMING_KNOWN;
  fmt::memory_buffer out;
  auto it = std::back_inserter(out);
  fmt::format_to(it, "{{\"time\":{:.6f},\"kind\":\"{}\",\"pid\":", clock.wall_seconds(e.ts_ns),
                 event_kind_name(e.kind));
  if (owner.known()) {
    fmt::format_to(it, "{},\"comm\":", owner.tgid);
    append_json_string(out, owner.comm);
  } else {
    fmt::format_to(it, "null,\"comm\":null");
  }
  if (owner.holders.empty())
    fmt::format_to(it, ",\"holders\":null");
  else
    fmt::format_to(it, ",\"holders\":{}", owner.holders.size());
  fmt::format_to(it, ",\"local\":");
  append_endpoint(out, e.family, e.saddr, e.sport);
  fmt::format_to(it, ",\"remote\":");
  append_endpoint(out, e.family, e.daddr, e.dport);
  fmt::format_to(it, ",\"family\":\"{}\",\"cookie\":{},\"netns\":{}", e.family == AF_INET6 ? "ipv6" : "ipv4",
                 e.cookie, e.netns);
  if (netns_name) {
    fmt::format_to(it, ",\"name\":");
    append_json_string(out, *netns_name);
  }
  if (e.kind == TS_EV_STATE) {
    fmt::format_to(it, ",\"old\":\"{}\",\"new\":\"{}\",\"prev_state_ms\":", state_name(e.old_state),
                   state_name(e.new_state));
    append_ms_or_null(out, timing, e.prev_state_ns);
    if (e.new_state == TS_CLOSE) {
      fmt::format_to(it, ",\"lifetime_ms\":");
      append_ms_or_null(out, timing && e.lifetime_ns, e.lifetime_ns);
    }
    fmt::format_to(it, ",\"time_wait\":{},\"fin_wait2_timewait\":{}", (e.flags & TS_F_TIME_WAIT) != 0,
                   (e.flags & TS_F_FIN_WAIT2_TW) != 0);
  } else {
    if (e.flags & TS_F_NO_SOCKET)
      fmt::format_to(it, ",\"state\":null");
    else
      fmt::format_to(it, ",\"state\":\"{}\"", state_name(e.new_state));
  }
  if (e.kind == TS_EV_RETRANSMIT) fmt::format_to(it, ",\"segs\":{}", e.segs ? e.segs : 1);
  if (e.kind == TS_EV_RESET_SENT) {
    fmt::format_to(it, ",\"no_socket\":{},\"reason\":", (e.flags & TS_F_NO_SOCKET) != 0);
    if (const auto reason = reset_reason_of(e, reset_reasons); !reason.empty())
      append_json_string(out, reason);
    else
      fmt::format_to(it, "null");
  }
  fmt::format_to(it, ",\"reset\":{}}}", (e.flags & TS_F_RESET) != 0);
  return fmt::to_string(out);
}

}  // namespace tcpsight
