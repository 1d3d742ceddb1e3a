// Real containers for the tests that need them: rootful podman with runc (crun refuses the hybrid
// cgroups of these machines), the host's own files as the container's root through an overlay (so
// python3 and the test tools are inside), and a network namespace with only loopback. Each
// container is removed in its destructor, whatever the test did.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "../integration/harness.hpp"

namespace tcpsight::itest {

// Why containers cannot be made here (no podman, no runc), or nullopt when they can.
std::optional<std::string> missing_container_prerequisite();

#define TS_REQUIRE_CONTAINERS_OR_SKIP()                                                     \
  do {                                                                                      \
    TS_REQUIRE_ROOT_OR_SKIP();                                                              \
    if (const auto ts_missing_ = ::tcpsight::itest::missing_container_prerequisite()) {     \
      if (::tcpsight::itest::running_in_ci()) FAIL() << "CI=true but " << *ts_missing_;     \
      GTEST_SKIP() << *ts_missing_;                                                         \
    }                                                                                       \
  } while (0)

class Container {
 public:
  // A running container "ts-<tag>-<pid>-<n>" whose main process sleeps until it is removed.
  explicit Container(const std::string& tag);
  ~Container();
  Container(const Container&) = delete;
  Container& operator=(const Container&) = delete;

  const std::string& name() const { return name_; }
  pid_t pid() const { return pid_; }
  // Its network namespace's inode.
  uint32_t netns_inode() const;
  // `podman exec` argv, prefixed: runs inside the container (its namespaces, its cgroup).
  std::vector<std::string> exec(const std::vector<std::string>& argv) const;
  // Runs argv on the host inside the container's network namespace only (nsenter --net): for what
  // the container may not do itself (iptables) and for the kernel's view of it (ss, /proc/net).
  std::string in_netns(const std::vector<std::string>& argv) const;
  // What `ss -tanH state <filter>` counts in the container's namespace.
  size_t ss_count(const std::string& state_filter) const;
  // Its namespace's /proc/net/snmp and netstat.
  KernelCounters kernel_counters() const;

 private:
  std::string name_;
  pid_t pid_ = 0;
};

}  // namespace tcpsight::itest
