#include "core/address.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstring>

namespace tcpsight {

namespace {
bool is_v4_mapped(const IpAddress& a) {
  static constexpr uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return a.family == AF_INET6 && std::memcmp(a.bytes.data(), prefix, sizeof prefix) == 0;
}
std::array<uint8_t, 4> v4_part(const IpAddress& a) {
  std::array<uint8_t, 4> v{};
  std::memcpy(v.data(), a.bytes.data() + (a.family == AF_INET ? 0 : 12), 4);
  return v;
}
}  // namespace

IpAddress IpAddress::from_raw(uint8_t family, const uint8_t raw[16]) {
  IpAddress a;
  a.family = family;
  std::memcpy(a.bytes.data(), raw, family == AF_INET ? 4 : 16);
  return a;
}

bool IpAddress::same_host(const IpAddress& other) const {
  if (*this == other) return true;
  const bool v4_here = family == AF_INET || is_v4_mapped(*this);
  const bool v4_there = other.family == AF_INET || is_v4_mapped(other);
  return v4_here && v4_there && v4_part(*this) == v4_part(other);
}

std::string format_address(const IpAddress& addr) {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (addr.family == AF_INET || addr.family == AF_INET6)
    inet_ntop(addr.family, addr.bytes.data(), buf, sizeof buf);
  return buf;
}

std::string format_endpoint(const IpAddress& addr, uint16_t port) {
  const std::string host = format_address(addr);
  return addr.family == AF_INET6 ? "[" + host + "]:" + std::to_string(port) : host + ":" + std::to_string(port);
}

std::optional<IpAddress> parse_address(std::string_view text) {
  std::string s(text);
  if (s.size() > 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  IpAddress a;
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
    a.family = AF_INET;
    return a;
  }
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) {
    a.family = AF_INET6;
    return a;
  }
  return std::nullopt;
}

}  // namespace tcpsight
