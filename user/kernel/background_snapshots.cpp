#include "kernel/background_snapshots.hpp"

#include <chrono>
#include <utility>

namespace tcpsight {

BackgroundSnapshots::BackgroundSnapshots(std::function<double()> clock, double cpu_share)
    : clock_(clock), paced_(std::move(clock), cpu_share) {
  ready_records_ = paced_.records();  // the first one is always due
  ready_finished_s_ = clock_();
  ready_ = true;
}

BackgroundSnapshots::~BackgroundSnapshots() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void BackgroundSnapshots::start(double interval_s) {
  if (!thread_.joinable()) thread_ = std::thread([this, interval_s] { run(interval_s); });
}

bool BackgroundSnapshots::take(std::vector<ts_sock_record>& out, double& finished_s) {
  std::lock_guard lock(mutex_);
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  if (!ready_) return false;
  out.swap(ready_records_);
  finished_s = ready_finished_s_;
  ready_ = false;
  return true;
}

void BackgroundSnapshots::run(double interval_s) {
  const auto interval = std::chrono::duration<double>(interval_s);
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, interval, [this] { return stop_; })) return;
    }
    try {
      // Walked without the lock: take() never waits for a snapshot.
      const std::vector<ts_sock_record>& records = paced_.records();
      if (!paced_.fresh()) continue;
      const double finished = clock_();
      std::lock_guard lock(mutex_);
      ready_records_.assign(records.begin(), records.end());
      ready_finished_s_ = finished;
      ready_ = true;
    } catch (...) {
      std::lock_guard lock(mutex_);
      error_ = std::current_exception();
      return;
    }
  }
}

}  // namespace tcpsight
