// Refreshes of every watched namespace taken on a thread of their own (record -A and --netns), as
// BackgroundSnapshots does for one: entering each namespace and walking its sockets never holds up
// the thread that drains the ring buffer.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "core/namespace_table.hpp"
#include "kernel/background_worker.hpp"
#include "kernel/namespace_scan.hpp"
#include "kernel/namespace_watch.hpp"
#include "tcpsight/abi.h"

namespace tcpsight {

// One refresh: every namespace found (without census) and the fresh snapshots of it, by inode.
struct NamespaceRefresh {
  std::vector<NamespaceSighting> sightings;
  std::map<uint32_t, std::vector<ts_sock_record>> snapshots;
  std::map<uint32_t, double> snapshot_finished_s;  // monotonic seconds each snapshot was done at
  NamespaceWatchCounts watch;
  double finished_s = 0;
};

class BackgroundNamespaces {
 public:
  // `only`: just this namespace; nullopt: every one. Makes the watcher here, on the caller's
  // thread (it loads the iterator); no thread runs before start().
  BackgroundNamespaces(std::optional<FoundNamespace> only, std::function<double()> clock, double cpu_share);

  // Starts the thread, which refreshes at once and then every `interval_s`; after the caller
  // dropped privileges (a thread keeps what it was started with, and the namespace thread is
  // started by the first refresh).
  void start(double interval_s) { worker_.start(interval_s, true); }
  // The newest refresh since the last call, moved into `out`; false when none is new. Rethrows an
  // error the thread met.
  bool take(NamespaceRefresh& out) { return worker_.take(out); }

 private:
  bool refresh(NamespaceRefresh& out);

  std::function<double()> clock_;
  NamespaceRefresh building_;  // filled by the watcher's sink during a refresh
  NamespaceWatcher watcher_;
  BackgroundWorker<NamespaceRefresh> worker_;  // last: stopped before what it uses goes
};

}  // namespace tcpsight
