// What the header reads from the system, outside BPF: host name, kernel release and the network
// namespace's name.
#pragma once

#include <cstdint>

#include "top/top_frame.hpp"

namespace tcpsight {

// `netns_inode`: this process's network namespace. Its name comes from /run/netns (ip netns),
// "host" for the namespace of PID 1, else its inode.
HostInfo read_host_info(uint32_t netns_inode);

}  // namespace tcpsight
