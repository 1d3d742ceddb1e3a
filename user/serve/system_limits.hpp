// The kernel settings that bound TIME_WAIT: the ephemeral port range and tcp_max_tw_buckets.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace tcpsight {

struct SystemLimits {
  std::optional<uint64_t> ephemeral_ports;      // size of net.ipv4.ip_local_port_range
  std::optional<uint64_t> max_time_wait;        // net.ipv4.tcp_max_tw_buckets
};

// "262144\n" -> 262144; nullopt when malformed.
std::optional<uint64_t> parse_sysctl_number(std::string_view text);

// Reads both from /proc/sys of this network namespace; what cannot be read stays nullopt.
SystemLimits read_system_limits();

}  // namespace tcpsight
