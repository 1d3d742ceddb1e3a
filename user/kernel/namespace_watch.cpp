#include "kernel/namespace_watch.hpp"

#include <utility>

#include "core/socket_census.hpp"
#include "kernel/kernel_counters.hpp"
#include "kernel/sysctls.hpp"

namespace tcpsight {

NamespaceWatcher::NamespaceWatcher(std::optional<FoundNamespace> only, std::function<double()> clock,
                                   double snapshot_cpu_share, SnapshotSink sink)
    : only_(std::move(only)), clock_(std::move(clock)), pacer_(snapshot_cpu_share), sink_(std::move(sink)) {}

std::vector<FoundNamespace> NamespaceWatcher::find() {
  if (only_) return {*only_};
  NamespaceScan scan = scan_namespaces();
  counts_.seen = scan.namespaces.size();
  counts_.unreadable = scan.unreadable;
  return std::move(scan.namespaces);
}

const NamespaceIdentity& NamespaceWatcher::identify(const FoundNamespace& ns) {
  auto it = names_.find(ns.inode);
  if (it != names_.end()) return it->second;
  const NamespaceName n = namer_.name_for(ns.pid, ns.run_netns_name, ns.inode, ns.host);
  return names_[ns.inode] = {.inode = ns.inode, .name = n.name, .kind = n.kind, .container_id = n.container_id,
                             .host = ns.host};
}

std::vector<NamespaceSighting> NamespaceWatcher::refresh() {
  const std::vector<FoundNamespace> found = find();
  const double started = clock_();
  fresh_ = pacer_.due(started);
  std::vector<NamespaceSighting> out;
  out.reserve(found.size());
  std::map<uint32_t, NamespaceIdentity> still;
  found_.clear();
  for (const FoundNamespace& ns : found) {
    found_.emplace(ns.inode, ns);
    NamespaceSighting s;
    s.id = identify(ns);
    std::string error;
    KernelCounters kernel;
    SystemLimits limits;
    bool snapshot = false;
    const bool entered = thread_.run_in(ns.path, ns.inode, [&] {
      // Only the TCP tables: what every front end shows of a namespace (the rest is ten times as many
      // counters, parsed and copied for each namespace at every refresh).
      static constexpr std::string_view kTcpTables[] = {"Tcp", "TcpExt"};
      kernel = read_kernel_counters("/proc/thread-self/net", kTcpTables);
      limits = read_system_limits();  // /proc/sys/net is the reading thread's namespace's
      if (fresh_) {
        snapshotter_.take(records_);
        snapshot = true;
      }
    }, error);
    ++(entered ? counts_.entered : counts_.failed);
    if (entered) {
      s.kernel = std::move(kernel);
      s.limits = limits;
      if (snapshot) snapshot_at_[ns.inode] = clock_();
    }
    const auto at = snapshot_at_.find(ns.inode);
    s.snapshot_age_s = at == snapshot_at_.end() ? 0 : clock_() - at->second;
    if (snapshot) {
      if (sink_)
        sink_(s, records_);
      else
        s.census = SocketCensus::from_records(records_);
    }
    still.emplace(ns.inode, s.id);
    out.push_back(std::move(s));
  }
  if (fresh_) pacer_.taken(started, clock_());
  names_ = std::move(still);  // forget the names of namespaces that are gone
  std::erase_if(snapshot_at_, [&](const auto& kv) { return !names_.count(kv.first); });
  return out;
}

bool NamespaceWatcher::run_in(uint32_t inode, const std::function<void()>& work) {
  const auto it = found_.find(inode);
  std::string error;
  return it != found_.end() && thread_.run_in(it->second.path, inode, work, error);
}

}  // namespace tcpsight
