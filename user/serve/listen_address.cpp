#include "serve/listen_address.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace tcpsight {

namespace {

std::optional<uint16_t> parse_port(std::string_view s) {
  unsigned v = 0;
  if (s.empty() || s.size() > 5) return std::nullopt;
  const auto [end, err] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (err != std::errc() || end != s.data() + s.size() || v > 65535) return std::nullopt;
  return static_cast<uint16_t>(v);
}

bool is_numeric(const std::string& host, int family) {
  unsigned char buf[16];
  return inet_pton(family, host.c_str(), buf) == 1;
}

}  // namespace

std::string ListenAddress::text() const {
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::optional<ListenAddress> parse_listen_address(std::string_view text) {
  ListenAddress a;
  std::string_view port_text;
  if (text.starts_with('[')) {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return std::nullopt;
    a.host = std::string(text.substr(1, close - 1));
    a.ipv6 = true;
    if (!is_numeric(a.host, AF_INET6)) return std::nullopt;
    port_text = text.substr(close + 2);
  } else {
    const size_t colon = text.find(':');
    if (colon == std::string_view::npos || text.find(':', colon + 1) != std::string_view::npos) return std::nullopt;
    a.host = std::string(text.substr(0, colon));
    if (!is_numeric(a.host, AF_INET)) return std::nullopt;
    port_text = text.substr(colon + 1);
  }
  const auto port = parse_port(port_text);
  if (!port) return std::nullopt;
  a.port = *port;
  return a;
}

}  // namespace tcpsight
