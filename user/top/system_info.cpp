#include "top/system_info.hpp"

#include <sys/stat.h>
#include <sys/utsname.h>

#include <filesystem>
#include <string>

namespace tcpsight {

namespace {

std::string netns_name(uint32_t inode) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/run/netns", ec)) {
    struct stat st {};
    if (stat(entry.path().c_str(), &st) == 0 && st.st_ino == inode) return entry.path().filename().string();
  }
  struct stat init {};
  if (stat("/proc/1/ns/net", &init) == 0 && init.st_ino == inode) return "host";
  return {};
}

}  // namespace

HostInfo read_host_info(uint32_t netns_inode) {
  HostInfo info;
  utsname u{};
  if (uname(&u) == 0) {
    info.hostname = u.nodename;
    info.kernel = u.release;
  }
  const std::string name = netns_name(netns_inode);
  info.netns = name.empty() ? "inode " + std::to_string(netns_inode) : name;
  return info;
}

}  // namespace tcpsight
