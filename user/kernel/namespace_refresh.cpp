#include "kernel/namespace_refresh.hpp"

#include <utility>
#include <vector>

namespace tcpsight {

void refresh_namespaces(NamespaceTable& table, NamespaceWatcher& watcher, Tracer* tracer, double now_s) {
  const std::vector<NamespaceSighting> seen = watcher.refresh();
  std::vector<std::pair<uint32_t, ts_netns_counters>> counters;
  if (tracer)
    for (const NetnsCounters& n : tracer->read_netns_counters()) counters.emplace_back(n.inode, n.counters);
  for (uint32_t inode : table.refresh(seen, counters, now_s))
    if (tracer) tracer->forget_netns(inode);
}

}  // namespace tcpsight
