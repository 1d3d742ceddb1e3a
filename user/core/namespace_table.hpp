// Every network namespace tcpsight watches with --all-namespaces (or the one --netns names), each
// with its own figures: an Aggregator fed with that namespace's exact counters and snapshots. Pure:
// the kernel layer says what it found each refresh; unit tests feed it synthetic input.
//
// A namespace that vanishes is kept for one more refresh, marked gone, so that its final counts
// are reported (a scrape between its last events and its end still sees them); then it is dropped
// and its inode handed back to the caller (the kernel may give that inode to a new namespace).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/aggregator.hpp"
#include "core/netstat_parse.hpp"
#include "core/system_limits.hpp"
#include "tcpsight/abi.h"

namespace tcpsight {

// Namespaces whose own counters the kernel keeps (the per-namespace map's size); hits of more are
// counted in netns_overflow. One slot costs sizeof(ts_netns_counters) per CPU, and only once used.
inline constexpr uint32_t kNamespaceCounterSlots = 4096;

struct NamespaceIdentity {
  uint32_t inode = 0;
  std::string name;          // what users know it by: container, pod, unit, /run/netns name
  std::string kind;          // where the name comes from: podman, docker, kubernetes, systemd, netns, host, inode
  std::string container_id;  // the runtime's id, where there is one
  bool host = false;         // the namespace of PID 1
};

struct NamespaceView {
  NamespaceIdentity id;
  Aggregator figures{64};       // counters and census of this namespace alone
  KernelCounters kernel;        // its /proc/net/snmp and netstat, latest reading
  KernelCounters kernel_before; // the reading before, for rates
  double kernel_interval_s = 0;
  double last_kernel_s = 0;
  std::optional<SystemLimits> limits;  // its own sysctls, latest reading
  bool gone = false;            // not found at this refresh: these are its final figures
  int refreshes_gone = 0;       // refreshes since it was last found
};

// What the kernel layer learned of one namespace in one refresh.
struct NamespaceSighting {
  NamespaceIdentity id;
  std::optional<SocketCensus> census;  // a fresh snapshot, if one was taken
  double snapshot_age_s = 0;
  std::optional<KernelCounters> kernel;  // read inside the namespace, if it could be entered
  std::optional<SystemLimits> limits;    // its own sysctls (port range, tcp_max_tw_buckets), the same way
};

// How finding and entering namespaces went, since start.
struct NamespaceWatchCounts {
  uint64_t seen = 0;     // namespaces found at the last scan
  uint64_t entered = 0;  // times a namespace was entered and read
  uint64_t failed = 0;   // times one could not be entered: it vanished meanwhile, or no privilege
  uint64_t unreadable = 0;  // processes or mounts whose namespace could not be read at the last scan
};

// A counter of the namespace's own kernel counters per second over the last interval (0 before two).
double kernel_rate(const NamespaceView& ns, const std::string& key);

class NamespaceTable {
 public:
  // One refresh: `seen` is every namespace found now; `counters` the kernel's per-namespace map
  // (a namespace with counters but not found, e.g. one that lived between two scans, is shown too,
  // under its inode). Returns the inodes dropped (gone for a whole refresh) whose counters the
  // caller should forget.
  std::vector<uint32_t> refresh(const std::vector<NamespaceSighting>& seen,
                                const std::vector<std::pair<uint32_t, ts_netns_counters>>& counters, double now_s);

  // By inode; gone ones included until dropped.
  const std::map<uint32_t, NamespaceView>& namespaces() const { return views_; }
  const NamespaceView* find(uint32_t inode) const;

 private:
  std::map<uint32_t, NamespaceView> views_;
};

// A namespace's counters in the shape of the host-wide ones, so every report reads them alike.
ts_counters as_counters(const ts_netns_counters& n);

}  // namespace tcpsight
