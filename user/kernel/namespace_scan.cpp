#include "kernel/namespace_scan.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <map>
#include <stdexcept>

namespace tcpsight {

namespace {

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

template <class Visit>
void for_each_entry(const std::string& dir, const Visit& visit) {
  DIR* d = opendir(dir.c_str());
  if (!d) return;  // no such directory: nothing kept there
  while (const dirent* e = readdir(d))
    if (e->d_name[0] != '.') visit(std::string(e->d_name));
  closedir(d);
}

// Whether `path` opens a network namespace (and not, say, a regular file under /run/netns that a
// failed `ip netns add` left behind); its inode when it does.
uint32_t net_namespace_inode(const std::string& path, int* error) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (error) *error = errno;
    return 0;
  }
  struct stat st{};
  const bool is_net = fstat(fd, &st) == 0 && ioctl(fd, NS_GET_NSTYPE) == CLONE_NEWNET;
  if (error) *error = is_net ? 0 : EINVAL;
  close(fd);
  return is_net ? static_cast<uint32_t>(st.st_ino) : 0;
}

// The host's namespace: PID 1's; where that cannot be read (a sandbox whose PID 1 is not its own
// to look at), kthreadd's (PID 2): kernel threads never leave the initial namespace.
uint32_t host_namespace_inode(const std::string& proc) {
  struct stat st{};
  for (const char* pid : {"/1", "/2"})
    if (stat((proc + pid + "/ns/net").c_str(), &st) == 0) return static_cast<uint32_t>(st.st_ino);
  return 0;
}

}  // namespace

uint32_t netns_inode_of(const std::string& path) { return net_namespace_inode(path, nullptr); }

NamespaceScan scan_namespaces(const NamespaceScanPaths& paths) {
  std::map<uint32_t, FoundNamespace> found;
  NamespaceScan scan;
  const uint32_t host = host_namespace_inode(paths.proc);

  for_each_entry(paths.proc, [&](const std::string& name) {
    if (!all_digits(name)) return;
    const std::string path = paths.proc + "/" + name + "/ns/net";
    struct stat st{};
    // stat() of the link follows it to the nsfs inode without opening it: cheap for every process.
    if (stat(path.c_str(), &st) != 0) {
      if (errno != ENOENT) ++scan.unreadable;  // ENOENT: the process ended meanwhile
      return;
    }
    pid_t pid = 0;
    std::from_chars(name.data(), name.data() + name.size(), pid);
    FoundNamespace& ns = found[static_cast<uint32_t>(st.st_ino)];
    if (ns.pid == 0 || pid < ns.pid) {
      ns.pid = pid;
      if (ns.run_netns_name.empty()) ns.path = path;
    }
  });
  for (const std::string& dir : paths.mount_dirs)
    for_each_entry(dir, [&](const std::string& name) {
      const std::string path = dir + "/" + name;
      int error = 0;
      const uint32_t inode = net_namespace_inode(path, &error);
      if (!inode) {
        if (error != ENOENT) ++scan.unreadable;
        return;
      }
      FoundNamespace& ns = found[inode];
      // A bind mount outlives any process: the steadier path to enter it by.
      if (ns.run_netns_name.empty()) {
        ns.path = path;
        if (dir.ends_with("/run/netns")) ns.run_netns_name = name;
      }
    });
  for (auto& [inode, ns] : found) {
    ns.inode = inode;
    ns.host = host && inode == host;
    scan.namespaces.push_back(std::move(ns));
  }
  return scan;
}

FoundNamespace resolve_namespace(const std::string& arg) {
  FoundNamespace ns;
  if (arg.empty()) throw std::invalid_argument("--netns needs a name, a path or a pid");
  if (all_digits(arg)) {
    ns.pid = std::stoi(arg.size() > 9 ? "0" : arg);
    ns.path = "/proc/" + arg + "/ns/net";
  } else if (arg.find('/') != std::string::npos) {
    ns.path = arg;
  } else {
    ns.path = "/run/netns/" + arg;
    ns.run_netns_name = arg;
  }
  int error = 0;
  ns.inode = net_namespace_inode(ns.path, &error);
  if (!ns.inode) {
    const std::string what = all_digits(arg) ? "no process " + arg
                             : ns.run_netns_name.empty() ? arg + " is not a network namespace"
                                                         : "no network namespace named " + arg + " under /run/netns";
    throw std::invalid_argument(error == EINVAL || error == ENOENT ? what : what + ": " + std::strerror(error));
  }
  ns.host = ns.inode == host_namespace_inode("/proc");
  return ns;
}

}  // namespace tcpsight
