#include "kernel/background_namespaces.hpp"

#include <chrono>
#include <utility>

namespace tcpsight {

BackgroundNamespaces::BackgroundNamespaces(std::optional<FoundNamespace> only, std::function<double()> clock,
                                           double cpu_share)
    : clock_(clock),
      watcher_(std::move(only), std::move(clock), cpu_share,
               [this](const NamespaceSighting& s, std::span<const ts_sock_record> records) {
                 building_.snapshots[s.id.inode].assign(records.begin(), records.end());
                 building_.snapshot_finished_s[s.id.inode] = clock_();
               }) {}

BackgroundNamespaces::~BackgroundNamespaces() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void BackgroundNamespaces::start(double interval_s) {
  if (!thread_.joinable()) thread_ = std::thread([this, interval_s] { run(interval_s); });
}

bool BackgroundNamespaces::take(NamespaceRefresh& out) {
  std::lock_guard lock(mutex_);
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  if (!ready_) return false;
  out = std::move(ready_refresh_);
  ready_refresh_ = {};
  ready_ = false;
  return true;
}

void BackgroundNamespaces::refresh_into(NamespaceRefresh& r) {
  building_ = {};
  building_.sightings = watcher_.refresh();
  building_.watch = watcher_.counts();
  building_.finished_s = clock_();
  r = std::move(building_);
}

void BackgroundNamespaces::run(double interval_s) {
  const auto interval = std::chrono::duration<double>(interval_s);
  for (bool first = true;; first = false) {
    if (!first) {  // the first refresh at once
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, interval, [this] { return stop_; })) return;
    }
    try {
      NamespaceRefresh r;
      refresh_into(r);  // without the lock: take() never waits for a refresh
      std::lock_guard lock(mutex_);
      // One not taken yet is replaced, but its snapshots are newer than none: keep those this
      // refresh did not retake.
      if (ready_)
        for (auto& [inode, records] : ready_refresh_.snapshots)
          if (!r.snapshots.count(inode)) {
            r.snapshot_finished_s[inode] = ready_refresh_.snapshot_finished_s[inode];
            r.snapshots[inode] = std::move(records);
          }
      ready_refresh_ = std::move(r);
      ready_ = true;
    } catch (...) {
      std::lock_guard lock(mutex_);
      error_ = std::current_exception();
      return;
    }
  }
}

}  // namespace tcpsight
