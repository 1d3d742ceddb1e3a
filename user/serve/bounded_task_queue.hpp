// The HTTP server's workers: a fixed number of threads and a bounded queue of tasks (requests
// whose head has come). When the queue is full, enqueue() waits. serve sizes the queue to its
// connection limit, so the ConnectionReactor that enqueues never waits: threads and memory stay
// bounded under any load.
#pragma once

#include <httplib.h>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tcpsight {

class BoundedTaskQueue : public httplib::TaskQueue {
 public:
  BoundedTaskQueue(size_t threads, size_t max_queued);
  ~BoundedTaskQueue() override;
  BoundedTaskQueue(const BoundedTaskQueue&) = delete;
  BoundedTaskQueue& operator=(const BoundedTaskQueue&) = delete;

  // Waits while max_queued tasks are waiting; after shutdown() runs fn on the caller's thread.
  void enqueue(std::function<void()> fn) override;
  // Runs what is queued, then joins the threads. Idempotent.
  void shutdown() override;

 private:
  void work();

  size_t max_queued_;
  std::mutex mutex_;
  std::condition_variable has_work_, has_room_;
  std::deque<std::function<void()>> tasks_;
  bool shutting_down_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace tcpsight
