#include "serve/system_limits.hpp"

#include "core/ephemeral_ports.hpp"

#include <charconv>
#include <fstream>
#include <sstream>
#include <string>

namespace tcpsight {

namespace {

std::string_view trim(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

std::optional<uint64_t> whole_number(std::string_view s) {
  uint64_t v = 0;
  const auto [end, err] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (err != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::string read_file(const char* path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::optional<uint64_t> parse_sysctl_number(std::string_view text) { return whole_number(trim(text)); }

SystemLimits read_system_limits() {
  const auto range = parse_port_range(read_file("/proc/sys/net/ipv4/ip_local_port_range"));
  return {range ? std::optional<uint64_t>(range->size()) : std::nullopt,
          parse_sysctl_number(read_file("/proc/sys/net/ipv4/tcp_max_tw_buckets"))};
}

}  // namespace tcpsight
