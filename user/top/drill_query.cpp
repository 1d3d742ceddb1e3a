#include "top/drill_query.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <vector>

#include "core/tcp_state.hpp"

namespace tcpsight {

namespace {

std::string address_key(const IpAddress& a) {
  std::string out = std::to_string(a.family) + "/";
  for (uint8_t b : a.bytes) out += fmt::format("{:02x}", b);
  return out;
}

std::optional<IpAddress> parse_address_key(std::string_view s) {
  const size_t slash = s.find('/');
  if (slash == std::string_view::npos || s.size() - slash - 1 != 32) return std::nullopt;
  IpAddress a;
  unsigned family = 0;
  if (std::from_chars(s.data(), s.data() + slash, family).ec != std::errc{}) return std::nullopt;
  a.family = static_cast<uint8_t>(family);
  for (size_t i = 0; i < 16; ++i) {
    unsigned byte = 0;
    const char* p = s.data() + slash + 1 + 2 * i;
    if (std::from_chars(p, p + 2, byte, 16).ec != std::errc{}) return std::nullopt;
    a.bytes[i] = static_cast<uint8_t>(byte);
  }
  return a;
}

std::vector<std::string_view> fields(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t colon = s.find(':', start);
    out.push_back(s.substr(start, colon == std::string_view::npos ? std::string_view::npos : colon - start));
    if (colon == std::string_view::npos) return out;
    start = colon + 1;
  }
}

template <class T>
std::optional<T> number(std::string_view s) {
  T v{};
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

bool wildcard(const IpAddress& a) {
  return std::all_of(a.bytes.begin(), a.bytes.end(), [](uint8_t b) { return b == 0; });
}

}  // namespace

DrillQuery DrillQuery::of_state(int state) {
  DrillQuery q;
  q.kind = Kind::State;
  q.state = state;
  return q;
}
DrillQuery DrillQuery::of_transition(int from, int to, bool after_reset) {
  DrillQuery q;
  q.kind = Kind::Transition;
  q.from = from;
  q.state = to;
  q.after_reset = after_reset;
  return q;
}
DrillQuery DrillQuery::of_listener(const IpAddress& addr, uint16_t port) {
  DrillQuery q;
  q.kind = Kind::Listener;
  q.local = addr;
  q.local_port = port;
  return q;
}
DrillQuery DrillQuery::of_flow(const IpAddress& local, uint16_t local_port, const IpAddress& remote,
                               uint16_t remote_port) {
  DrillQuery q;
  q.kind = Kind::Flow;
  q.local = local;
  q.local_port = local_port;
  q.remote = remote;
  q.remote_port = remote_port;
  return q;
}
DrillQuery DrillQuery::of_process(uint32_t tgid) {
  DrillQuery q;
  q.kind = Kind::Process;
  q.tgid = tgid;
  return q;
}
DrillQuery DrillQuery::of_socket(uint64_t cookie) {
  DrillQuery q;
  q.kind = Kind::Socket;
  q.cookie = cookie;
  return q;
}

std::string DrillQuery::key() const {
  switch (kind) {
    case Kind::State:
      return fmt::format("state:{}", state);
    case Kind::Transition:
      return fmt::format("tr:{}:{}:{}", from, state, after_reset ? 1 : 0);
    case Kind::Listener:
      return fmt::format("listen:{}:{}", address_key(local), local_port);
    case Kind::Flow:
      return fmt::format("flow:{}:{}:{}:{}", address_key(local), local_port, address_key(remote), remote_port);
    case Kind::Process:
      return fmt::format("proc:{}", tgid);
    case Kind::Socket:
      return fmt::format("sock:{}", cookie);
  }
  return {};
}

std::optional<DrillQuery> DrillQuery::parse(std::string_view key) {
  const std::vector<std::string_view> f = fields(key);
  if (f.empty()) return std::nullopt;
  if (f[0] == "state" && f.size() == 2) {
    if (const auto s = number<int>(f[1])) return of_state(*s);
  } else if (f[0] == "tr" && f.size() == 4) {
    const auto from = number<int>(f[1]), to = number<int>(f[2]), r = number<int>(f[3]);
    if (from && to && r) return of_transition(*from, *to, *r != 0);
  } else if (f[0] == "listen" && f.size() == 3) {
    const auto a = parse_address_key(f[1]);
    const auto p = number<uint16_t>(f[2]);
    if (a && p) return of_listener(*a, *p);
  } else if (f[0] == "flow" && f.size() == 5) {
    const auto l = parse_address_key(f[1]), r = parse_address_key(f[3]);
    const auto lp = number<uint16_t>(f[2]), rp = number<uint16_t>(f[4]);
    if (l && r && lp && rp) return of_flow(*l, *lp, *r, *rp);
  } else if (f[0] == "proc" && f.size() == 2) {
    if (const auto t = number<uint32_t>(f[1])) return of_process(*t);
  } else if (f[0] == "sock" && f.size() == 2) {
    if (const auto c = number<uint64_t>(f[1])) return of_socket(*c);
  }
  return std::nullopt;
}

bool DrillQuery::matches(const SocketRow& s) const {
  switch (kind) {
    case Kind::State:
    case Kind::Transition:
      return s.state == reported_state(state);
    case Kind::Listener:
      // The listener and its connections: same local port, and its address unless it is a wildcard.
      return s.local_port == local_port && (wildcard(local) || s.local.same_host(local));
    case Kind::Flow:
      return s.local_port == local_port && s.remote_port == remote_port && s.local.same_host(local) &&
             s.remote.same_host(remote);
    case Kind::Process:
      return tgid ? std::find(s.holders.begin(), s.holders.end(), tgid) != s.holders.end() : s.holders.empty();
    case Kind::Socket:
      return s.cookie == cookie;
  }
  return false;
}

std::string DrillQuery::title(const Glyphs& g) const {
  switch (kind) {
    case Kind::State:
      return fmt::format("sockets in {}", state_name(state));
    case Kind::Transition:
      return fmt::format("{}{}{}{}: sockets now in {}", state_name(from), g.arrow, state_name(state),
                         after_reset ? " after a reset" : "", state_name(state));
    case Kind::Listener:
      return fmt::format("listener {} and its connections", format_endpoint(local, local_port));
    case Kind::Flow:
      return fmt::format("flow {} {} {}", format_endpoint(local, local_port), g.arrow,
                         format_endpoint(remote, remote_port));
    case Kind::Process:
      return tgid ? fmt::format("sockets of pid {}", tgid) : std::string("sockets no process holds");
    case Kind::Socket:
      return fmt::format("socket {}", cookie);
  }
  return {};
}

}  // namespace tcpsight
