// Finds every network namespace of the host: those of running processes (/proc/PID/ns/net) and
// those kept by a bind mount with no process in them (/run/netns, /var/run/docker/netns), one
// entry per namespace however many processes share it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace tcpsight {

struct FoundNamespace {
  uint32_t inode = 0;
  std::string path;            // an nsfs file that opens it: /run/netns/NAME or /proc/PID/ns/net
  pid_t pid = 0;               // the lowest pid in it; 0 when only a bind mount keeps it
  std::string run_netns_name;  // its name under /run/netns ("" if none)
  bool host = false;           // the namespace of PID 1
};

struct NamespaceScan {
  std::vector<FoundNamespace> namespaces;  // sorted by inode
  uint64_t unreadable = 0;                 // processes and mounts whose namespace could not be read
};

struct NamespaceScanPaths {
  std::string proc = "/proc";
  std::vector<std::string> mount_dirs = {"/run/netns", "/var/run/docker/netns"};
};

NamespaceScan scan_namespaces(const NamespaceScanPaths& paths = {});

// The namespace a --netns argument names: a name under /run/netns, a path to an nsfs file, or a
// pid. Throws std::invalid_argument with the reason when it names none (a usage error).
FoundNamespace resolve_namespace(const std::string& name_path_or_pid);

// The inode of the network namespace an nsfs file or /proc/PID/ns/net names; 0 when it names none.
uint32_t netns_inode_of(const std::string& path);

}  // namespace tcpsight
