#include "kernel/netns.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "core/errors.hpp"

namespace tcpsight {

uint32_t current_netns_inode() {
  struct stat st{};
  if (stat("/proc/self/ns/net", &st) != 0)
    throw UserError(std::string("cannot read /proc/self/ns/net: ") + std::strerror(errno));
  return static_cast<uint32_t>(st.st_ino);
}

}  // namespace tcpsight
