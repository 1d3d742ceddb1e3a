#include "core/event_filter.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <iterator>

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

namespace {

bool v4_mapped(const IpAddress& a) {
  static constexpr uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return a.family == AF_INET6 && std::equal(std::begin(prefix), std::end(prefix), a.bytes.begin());
}

bool all_zero(const uint8_t* bytes, size_t n) {
  return std::all_of(bytes, bytes + n, [](uint8_t b) { return b == 0; });
}

// As IpAddress::same_host() compares: an IPv4 or IPv4-mapped address by its IPv4 part.
void set_kernel_addr(KernelStreamFilter& k, const IpAddress& a) {
  if (a.family == AF_INET || v4_mapped(a)) {
    const uint8_t* v4 = a.bytes.data() + (a.family == AF_INET ? 0 : 12);
    if (all_zero(v4, 4)) return;
    k.addr_family = AF_INET;
    std::copy_n(v4, 4, k.addr.begin());
  } else if (a.family == AF_INET6 && !all_zero(a.bytes.data(), 16)) {
    k.addr_family = AF_INET6;
    k.addr = a.bytes;
  }
}

}  // namespace

KernelStreamFilter kernel_stream_filter(const EventFilter& filter) {
  KernelStreamFilter k;
  if (filter.ports.size() <= k.ports.size()) {
    k.nports = static_cast<uint32_t>(filter.ports.size());
    std::copy(filter.ports.begin(), filter.ports.end(), k.ports.begin());
  }
  if (filter.addr) set_kernel_addr(k, *filter.addr);
  for (int s : filter.states) {
    k.states |= 1u << (reported_state(s) & 31);
    if (s == TS_TIME_WAIT) k.time_wait = true;
  }
  return k;
}

}  // namespace tcpsight
