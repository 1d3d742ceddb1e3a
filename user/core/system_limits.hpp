// The kernel settings that bound client ports and TIME_WAIT: net.ipv4.ip_local_port_range and
// net.ipv4.tcp_max_tw_buckets of one network namespace (read by kernel/sysctls).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/ephemeral_ports.hpp"

namespace tcpsight {

struct SystemLimits {
  std::optional<PortRange> port_range;   // net.ipv4.ip_local_port_range
  std::optional<uint64_t> max_time_wait;  // net.ipv4.tcp_max_tw_buckets
};

// "262144\n" -> 262144; nullopt when malformed.
std::optional<uint64_t> parse_sysctl_number(std::string_view text);

}  // namespace tcpsight
