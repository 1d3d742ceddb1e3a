// Work repeated on a thread of its own, its newest result handed over when the owner asks: the
// snapshots of record (BackgroundSnapshots, BackgroundNamespaces), so that a long walk never holds
// up the thread that drains the ring buffer.
#pragma once

#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

namespace tcpsight {

template <class Result>
class BackgroundWorker {
 public:
  // `produce` fills a result; false when it has nothing new this time. `merge(newer, older)` keeps
  // what of a result not taken yet the newer one lacks (default: the newer replaces it).
  explicit BackgroundWorker(std::function<bool(Result&)> produce,
                            std::function<void(Result&, Result&)> merge = {})
      : produce_(std::move(produce)), merge_(std::move(merge)) {}
  ~BackgroundWorker() {  // stops the thread and waits for it
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  BackgroundWorker(const BackgroundWorker&) = delete;
  BackgroundWorker& operator=(const BackgroundWorker&) = delete;

  // Starts the thread: it produces every `interval_s`, the first time at once when `at_once`. Call
  // it once the caller has dropped its privileges: a thread keeps the capabilities it started with.
  void start(double interval_s, bool at_once) {
    if (!thread_.joinable()) thread_ = std::thread([this, interval_s, at_once] { run(interval_s, at_once); });
  }

  // A result made on the caller's thread (a first one, before the thread starts), as if produced.
  void offer(Result r) {
    std::lock_guard lock(mutex_);
    publish(std::move(r));
  }

  // The newest result since the last call, moved into `out`; false when none is new. Rethrows an
  // error the thread met.
  bool take(Result& out) {
    std::lock_guard lock(mutex_);
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
    if (!ready_) return false;
    out = std::move(ready_result_);
    ready_result_ = {};
    ready_ = false;
    return true;
  }

 private:
  void publish(Result r) {  // with mutex_ held
    if (ready_ && merge_) merge_(r, ready_result_);
    ready_result_ = std::move(r);
    ready_ = true;
  }

  void run(double interval_s, bool at_once) {
    const auto interval = std::chrono::duration<double>(interval_s);
    for (bool first = true;; first = false) {
      if (!first || !at_once) {
        std::unique_lock lock(mutex_);
        if (wake_.wait_for(lock, interval, [this] { return stop_; })) return;
      }
      try {
        Result r;
        if (!produce_(r)) continue;  // made without the lock: take() never waits for it
        std::lock_guard lock(mutex_);
        publish(std::move(r));
      } catch (...) {
        std::lock_guard lock(mutex_);
        error_ = std::current_exception();
        return;
      }
    }
  }

  std::function<bool(Result&)> produce_;
  std::function<void(Result&, Result&)> merge_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool ready_ = false;
  Result ready_result_{};
  std::exception_ptr error_;
  std::thread thread_;
};

}  // namespace tcpsight
