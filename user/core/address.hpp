// Socket addresses as users read and type them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tcpsight {

// An IPv4 or IPv6 address in network byte order, as the kernel records it (IPv4 in the first 4 bytes).
struct IpAddress {
  uint8_t family = 0;  // AF_INET or AF_INET6
  std::array<uint8_t, 16> bytes{};

  static IpAddress from_raw(uint8_t family, const uint8_t raw[16]);
  bool operator==(const IpAddress&) const = default;
  auto operator<=>(const IpAddress&) const = default;

  // Same host, seen through an IPv4-mapped IPv6 address or not.
  bool same_host(const IpAddress& other) const;
};

// "10.0.0.1", "::1"; IPv4-mapped IPv6 addresses print as "::ffff:10.0.0.1".
std::string format_address(const IpAddress& addr);
// "10.0.0.1:80", "[::1]:80".
std::string format_endpoint(const IpAddress& addr, uint16_t port);

std::optional<IpAddress> parse_address(std::string_view text);

}  // namespace tcpsight
