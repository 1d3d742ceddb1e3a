#include "kernel/namespace_directory.hpp"

#include "kernel/namespace_scan.hpp"

namespace tcpsight {

namespace {
// A burst of events from many new namespaces costs one scan of /proc per this many seconds.
constexpr double kRescanSeconds = 0.25;
// Names of namespaces that are gone stay for late events, up to this many in all.
constexpr size_t kMaxNames = 8192;
}  // namespace

void NamespaceDirectory::rescan() {
  if (names_.size() > kMaxNames) names_.clear();
  for (const FoundNamespace& ns : scan_namespaces().namespaces)
    if (!names_.count(ns.inode)) names_[ns.inode] = namer_.name_for(ns.pid, ns.run_netns_name, ns.inode, ns.host).name;
}

std::string NamespaceDirectory::name_of(uint32_t inode, double now_s) {
  auto it = names_.find(inode);
  if (it != names_.end()) return it->second;
  if (now_s - last_scan_s_ >= kRescanSeconds) {
    last_scan_s_ = now_s;
    rescan();
    it = names_.find(inode);
    if (it != names_.end()) return it->second;
  }
  return "netns-" + std::to_string(inode);  // not found (yet): looked for again at the next rescan
}

}  // namespace tcpsight
