#include "kernel/namespace_refresh.hpp"

#include <utility>
#include <vector>

namespace tcpsight {

std::vector<uint32_t> refresh_namespaces(NamespaceTable& table, NamespaceWatcher& watcher, Tracer* tracer,
                                         double now_s) {
  const std::vector<NamespaceSighting> seen = watcher.refresh();
  std::vector<std::pair<uint32_t, ts_netns_counters>> counters;
  if (tracer)
    for (const NetnsCounters& n : tracer->read_netns_counters()) counters.emplace_back(n.inode, n.counters);
  std::vector<uint32_t> dropped = table.refresh(seen, counters, now_s);
  for (uint32_t inode : dropped)
    if (tracer) tracer->forget_netns(inode);  // the kernel may give its inode to a new namespace
  return dropped;
}

}  // namespace tcpsight
