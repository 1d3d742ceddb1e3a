#include "core/event_format.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <ctime>

#include "core/address.hpp"
#include "core/tcp_state.hpp"

namespace tcpsight {

namespace {

double seconds_of(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

std::string comm_of(const ts_event& e) { return std::string(e.comm, strnlen(e.comm, sizeof e.comm)); }

std::string transition_of(const ts_event& e) {
  if (e.kind == TS_EV_STATE) return fmt::format("{}->{}", state_name(e.old_state), state_name(e.new_state));
  return fmt::format("{} in {}", event_kind_name(e.kind), state_name(e.new_state));
}

std::string clock_text(double wall) {
  const auto secs = static_cast<time_t>(wall);
  tm local{};
  localtime_r(&secs, &local);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &local);
  return fmt::format("{}.{:06d}", buf, static_cast<int>((wall - std::floor(wall)) * 1e6));
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

std::string trace_header() {
  return fmt::format("{:<15} {:>7} {:<15} {:<21} {:<21} {:<26} {:>9}", "TIME", "PID", "COMM", "LOCAL", "REMOTE",
                     "EVENT", "MS");
}

std::string format_trace_line(const ts_event& e, const Clock& clock) {
  const bool owner = e.flags & TS_F_OWNER_KNOWN;
  const std::string ms = (e.kind == TS_EV_STATE && (e.flags & TS_F_TIMING_KNOWN))
                             ? fmt::format("{:.3f}", static_cast<double>(e.prev_state_ns) / 1e6)
                             : "-";
  std::string line = fmt::format(
      "{:<15} {:>7} {:<15} {:<21} {:<21} {:<26} {:>9}", clock_text(clock.wall_seconds(e.ts_ns)),
      owner ? std::to_string(e.tgid) : "-", owner ? comm_of(e) : "?",
      format_endpoint(IpAddress::from_raw(e.family, e.saddr), e.sport),
      format_endpoint(IpAddress::from_raw(e.family, e.daddr), e.dport), transition_of(e), ms);
  if (e.flags & TS_F_TIME_WAIT) line += " time-wait";
  if (e.flags & TS_F_RESET) line += " reset";
  return line;
}

nlohmann::json trace_json(const ts_event& e, const Clock& clock) {
  const bool owner = e.flags & TS_F_OWNER_KNOWN;
  const bool timing = e.flags & TS_F_TIMING_KNOWN;
  nlohmann::json j = {
      {"time", clock.wall_seconds(e.ts_ns)},
      {"kind", event_kind_name(e.kind)},
      {"pid", owner ? nlohmann::json(e.tgid) : nlohmann::json(nullptr)},
      {"comm", owner ? nlohmann::json(comm_of(e)) : nlohmann::json(nullptr)},
      {"local", format_endpoint(IpAddress::from_raw(e.family, e.saddr), e.sport)},
      {"remote", format_endpoint(IpAddress::from_raw(e.family, e.daddr), e.dport)},
      {"family", e.family == 10 ? "ipv6" : "ipv4"},
      {"cookie", e.cookie},
      {"netns", e.netns},
  };
  if (e.kind == TS_EV_STATE) {
    j["old"] = state_name(e.old_state);
    j["new"] = state_name(e.new_state);
    j["prev_state_ms"] = timing ? nlohmann::json(static_cast<double>(e.prev_state_ns) / 1e6) : nlohmann::json(nullptr);
    if (e.new_state == TS_CLOSE)
      j["lifetime_ms"] =
          timing && e.lifetime_ns ? nlohmann::json(static_cast<double>(e.lifetime_ns) / 1e6) : nlohmann::json(nullptr);
    j["time_wait"] = (e.flags & TS_F_TIME_WAIT) != 0;
  } else {
    j["state"] = state_name(e.new_state);
  }
  j["reset"] = (e.flags & TS_F_RESET) != 0;
  return j;
}

}  // namespace tcpsight
