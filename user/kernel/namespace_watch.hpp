// Keeps up with the network namespaces tcpsight watches (every one with --all-namespaces, or the
// one --netns names) and reads each from inside it on a NetnsThread: its own /proc/net counters at
// every refresh, and an iter/tcp snapshot of its sockets when the SnapshotPacer allows a round.
//
// iter/tcp walks the host's whole connection table for each namespace (it skips the sockets of
// others), unless the namespace has a table of its own (net.ipv4.tcp_child_ehash_entries set before
// it was made): a round over N namespaces costs about N walks, so rounds are paced as one.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "core/namespace_table.hpp"
#include "core/snapshot_pacer.hpp"
#include "kernel/namespace_names.hpp"
#include "kernel/namespace_scan.hpp"
#include "kernel/netns_thread.hpp"
#include "kernel/snapshotter.hpp"

namespace tcpsight {

class NamespaceWatcher {
 public:
  // Takes each fresh snapshot instead of the sighting's census, on the caller's thread, for front
  // ends that reduce the records their own way (serve); the records are not kept.
  using SnapshotSink = std::function<void(const NamespaceSighting&, std::span<const ts_sock_record>)>;

  // `only`: watch just this namespace; nullopt: every namespace of the host.
  NamespaceWatcher(std::optional<FoundNamespace> only, std::function<double()> clock,
                   double snapshot_cpu_share = kSnapshotCpuShare, SnapshotSink sink = {});

  // What each namespace looks like now; a fresh census for each when a snapshot round was due.
  std::vector<NamespaceSighting> refresh();
  // Whether the last refresh took a snapshot round.
  bool fresh() const { return fresh_; }
  const NamespaceWatchCounts& counts() const { return counts_; }
  // Runs `work` inside the namespace of `inode`, one the last refresh found (a drill-down's details
  // pass). False when it is not known or could not be entered (gone).
  bool run_in(uint32_t inode, const std::function<void()>& work);

 private:
  std::vector<FoundNamespace> find();
  const NamespaceIdentity& identify(const FoundNamespace& ns);

  std::optional<FoundNamespace> only_;
  std::function<double()> clock_;
  NetnsThread thread_;
  Snapshotter snapshotter_;
  NamespaceNamer namer_;
  SnapshotPacer pacer_;
  std::map<uint32_t, NamespaceIdentity> names_;  // by inode, for the namespaces found last
  std::map<uint32_t, FoundNamespace> found_;     // the same, where to enter them
  std::map<uint32_t, double> snapshot_at_;       // when each namespace's census was taken
  std::vector<ts_sock_record> records_;          // reused
  SnapshotSink sink_;
  NamespaceWatchCounts counts_;
  bool fresh_ = false;
};

}  // namespace tcpsight
