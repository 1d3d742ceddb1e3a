#include "top/search_filter.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/tcp_state.hpp"

namespace tcpsight {

namespace {

std::string lowered(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

SearchFilter::SearchFilter(std::string_view text) : text_(trimmed(text)), lower_(lowered(text_)) {
  if (text_.empty()) return;
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text_.data(), text_.data() + text_.size(), value);
  if (ec == std::errc{} && end == text_.data() + text_.size()) {
    number_ = value;
    if (value <= 65535) port_ = static_cast<uint16_t>(value);
    return;  // digits are a port (or a pid), never a name
  }
  state_ = parse_state(text_);
  if (!state_) address_ = parse_address(text_);
}

bool SearchFilter::text_in(std::string_view haystack) const {
  return lowered(haystack).find(lower_) != std::string::npos;
}

bool SearchFilter::matches_endpoint(const IpAddress& addr, uint16_t port) const {
  if (empty()) return true;
  if (number_) return port_ && port == *port_;
  if (state_) return reported_state(*state_) == TS_LISTEN;  // a listener is in LISTEN
  if (address_) return addr.same_host(*address_);
  return text_in(format_endpoint(addr, port));
}

bool SearchFilter::matches(const IpAddress& local, uint16_t local_port, const IpAddress& remote,
                           uint16_t remote_port, int state, uint32_t tgid, std::string_view comm) const {
  if (empty()) return true;
  if (number_) return (port_ && (local_port == *port_ || remote_port == *port_)) || (tgid && tgid == *number_);
  if (state_) return reported_state(state) == reported_state(*state_);
  if (address_) return local.same_host(*address_) || remote.same_host(*address_);
  return text_in(comm) || text_in(format_endpoint(local, local_port)) || text_in(format_endpoint(remote, remote_port));
}

bool SearchFilter::matches(const SocketRow& s) const {
  if (!number_) return matches(s.local, s.local_port, s.remote, s.remote_port, s.state, s.tgid, s.comm);
  // Digits: a port of the socket, or the pid of any process holding it.
  return (port_ && (s.local_port == *port_ || s.remote_port == *port_)) ||
         std::find(s.holders.begin(), s.holders.end(), *number_) != s.holders.end();
}

bool SearchFilter::matches(const ProcessRow& p) const {
  if (empty()) return true;
  if (number_)
    return p.tgid == *number_ || (port_ && std::find(p.listening_ports.begin(), p.listening_ports.end(), *port_) !=
                                               p.listening_ports.end());
  if (state_) return p.by_state[static_cast<size_t>(reported_state(*state_)) % TS_NSTATES] > 0;
  if (address_) return false;
  return text_in(p.comm);
}

}  // namespace tcpsight
