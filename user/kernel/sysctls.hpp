// The sysctls of this process's network namespace that the front ends show: the one place that
// reads them from /proc/sys.
#pragma once

#include <optional>

#include "core/system_limits.hpp"

namespace tcpsight {

// net.ipv4.ip_local_port_range; nullopt when unreadable or malformed.
std::optional<PortRange> read_local_port_range();

// The port range and net.ipv4.tcp_max_tw_buckets; what cannot be read stays nullopt.
SystemLimits read_system_limits();

}  // namespace tcpsight
