#include "serve/bounded_task_queue.hpp"

#include <utility>

namespace tcpsight {

BoundedTaskQueue::BoundedTaskQueue(size_t threads, size_t max_queued) : max_queued_(max_queued ? max_queued : 1) {
  threads_.reserve(threads);
  for (size_t i = 0; i < (threads ? threads : 1); ++i) threads_.emplace_back([this] { work(); });
}

BoundedTaskQueue::~BoundedTaskQueue() { shutdown(); }

void BoundedTaskQueue::enqueue(std::function<void()> fn) {
  {
    std::unique_lock lock(mutex_);
    has_room_.wait(lock, [this] { return tasks_.size() < max_queued_ || shutting_down_; });
    if (!shutting_down_) {
      tasks_.push_back(std::move(fn));
      has_work_.notify_one();
      return;
    }
  }
  fn();  // no worker is left to run it; the connection must still be served and closed
}

void BoundedTaskQueue::shutdown() {
  {
    std::lock_guard lock(mutex_);
    shutting_down_ = true;
  }
  has_work_.notify_all();
  has_room_.notify_all();
  for (std::thread& t : threads_)
    if (t.joinable()) t.join();
}

void BoundedTaskQueue::work() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mutex_);
      has_work_.wait(lock, [this] { return !tasks_.empty() || shutting_down_; });
      if (tasks_.empty()) return;  // shutting down and nothing left
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    has_room_.notify_one();
    try {
      task();
    } catch (...) {
      // httplib answers the client itself; a task never takes the worker down with it
    }
  }
}

}  // namespace tcpsight
