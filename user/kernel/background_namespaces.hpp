// Refreshes of every watched namespace taken on a thread of their own (record -A and --netns), as
// BackgroundSnapshots does for one: entering each namespace and walking its sockets never holds up
// the thread that drains the ring buffer.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/namespace_table.hpp"
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
  ~BackgroundNamespaces();  // stops the thread and waits for it
  BackgroundNamespaces(const BackgroundNamespaces&) = delete;
  BackgroundNamespaces& operator=(const BackgroundNamespaces&) = delete;

  // Starts the thread, which refreshes at once and then every `interval_s`; after the caller
  // dropped privileges (a thread keeps what it was started with, and the namespace thread is
  // started by the first refresh).
  void start(double interval_s);
  // The newest refresh since the last call, moved into `out`; false when none is new. Rethrows an
  // error the thread met.
  bool take(NamespaceRefresh& out);

 private:
  void refresh_into(NamespaceRefresh& r);
  void run(double interval_s);

  std::function<double()> clock_;
  NamespaceRefresh building_;  // filled by the watcher's sink during a refresh
  NamespaceWatcher watcher_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool ready_ = false;
  NamespaceRefresh ready_refresh_;
  std::exception_ptr error_;
  std::thread thread_;
};

}  // namespace tcpsight
