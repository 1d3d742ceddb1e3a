// Reads a whole file of /proc or /sys: what the kernel readers of this layer share.
#pragma once

#include <string>

namespace tcpsight {

// The file's text; empty when it cannot be read.
std::string read_proc_file(const char* path);

}  // namespace tcpsight
