#include "kernel/background_namespaces.hpp"

#include <utility>

namespace tcpsight {

namespace {

// A refresh not taken yet is replaced by the next, but its snapshots are newer than none: the
// newer keeps those it did not retake.
void keep_untaken_snapshots(NamespaceRefresh& newer, NamespaceRefresh& older) {
  for (auto& [inode, records] : older.snapshots)
    if (!newer.snapshots.count(inode)) {
      newer.snapshot_finished_s[inode] = older.snapshot_finished_s[inode];
      newer.snapshots[inode] = std::move(records);
    }
}

}  // namespace

BackgroundNamespaces::BackgroundNamespaces(std::optional<FoundNamespace> only, std::function<double()> clock,
                                           double cpu_share)
    : clock_(clock),
      watcher_(std::move(only), std::move(clock), cpu_share,
               [this](const NamespaceSighting& s, std::span<const ts_sock_record> records) {
                 building_.snapshots[s.id.inode].assign(records.begin(), records.end());
                 building_.snapshot_finished_s[s.id.inode] = clock_();
               }),
      worker_([this](NamespaceRefresh& r) { return refresh(r); }, keep_untaken_snapshots) {}

bool BackgroundNamespaces::refresh(NamespaceRefresh& out) {
  building_ = {};
  building_.sightings = watcher_.refresh();
  building_.watch = watcher_.counts();
  building_.finished_s = clock_();
  out = std::move(building_);
  return true;
}

}  // namespace tcpsight
