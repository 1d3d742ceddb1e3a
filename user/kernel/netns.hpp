#pragma once

#include <cstdint>

namespace tcpsight {

// Inode number of this process's network namespace (what BPF reads as net->ns.inum).
uint32_t current_netns_inode();

}  // namespace tcpsight
