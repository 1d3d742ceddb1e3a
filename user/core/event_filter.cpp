#include "core/event_filter.hpp"

#include <algorithm>

#include "core/tcp_state.hpp"

namespace tcpsight {

bool EventFilter::matches(const ts_event& e, const Owner& owner) const {
  if (!ports.empty() && std::find(ports.begin(), ports.end(), e.sport) == ports.end() &&
      std::find(ports.begin(), ports.end(), e.dport) == ports.end())
    return false;
  if (addr && !addr->same_host(IpAddress::from_raw(e.family, e.saddr)) &&
      !addr->same_host(IpAddress::from_raw(e.family, e.daddr)))
    return false;
  if (pid && !owner.held_by(*pid)) return false;
  if (!states.empty()) {
    const int o = reported_state(e.old_state), n = reported_state(e.new_state);
    // No event enters TIME_WAIT: the hand-over to a TIME_WAIT socket stands for it.
    const bool hands_over = e.kind == TS_EV_STATE && (e.flags & TS_F_TIME_WAIT);
    const bool hit = std::any_of(states.begin(), states.end(), [&](int s) {
      return reported_state(s) == o || reported_state(s) == n || (s == TS_TIME_WAIT && hands_over);
    });
    if (!hit) return false;
  }
  return true;
}

}  // namespace tcpsight
