// The address `tcpsight serve --listen` binds: "127.0.0.1:9977", "[::1]:9977", "0.0.0.0:9977".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tcpsight {

struct ListenAddress {
  std::string host;  // numeric, without brackets
  uint16_t port = 0; // 0: the kernel picks one
  bool ipv6 = false;

  // As typed: "127.0.0.1:9977", "[::1]:9977".
  std::string text() const;
};

// Numeric IPv4 "A.B.C.D:PORT" or bracketed IPv6 "[ADDR]:PORT", port 0..65535; nullopt otherwise.
std::optional<ListenAddress> parse_listen_address(std::string_view text);

}  // namespace tcpsight
