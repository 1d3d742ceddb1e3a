// What the header and the TIME_WAIT panel read from the system, outside BPF: host name, kernel
// release, the network namespace's name, and the ephemeral port range of this namespace.
#pragma once

#include <cstdint>
#include <optional>

#include "core/ephemeral_ports.hpp"
#include "top/top_frame.hpp"

namespace tcpsight {

// `netns_inode`: this process's network namespace. Its name comes from /run/netns (ip netns),
// "host" for the namespace of PID 1, else its inode.
HostInfo read_host_info(uint32_t netns_inode);

// net.ipv4.ip_local_port_range of this network namespace; nullopt when unreadable.
std::optional<PortRange> read_local_port_range();

}  // namespace tcpsight
