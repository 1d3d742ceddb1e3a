// Runs work inside other network namespaces. A BPF socket iterator sees the namespace of the
// thread that creates it, and /proc/thread-self/net shows that thread's, so both are read from one
// dedicated thread that enters a namespace (setns), does the work and returns to its own. The rest
// of tcpsight never changes namespace.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace tcpsight {

class NetnsThread {
 public:
  NetnsThread();
  ~NetnsThread();
  NetnsThread(const NetnsThread&) = delete;
  NetnsThread& operator=(const NetnsThread&) = delete;

  // Runs `work` on the thread, inside the namespace that `path` opens, and waits for it. False,
  // with the reason in `error`, when the namespace cannot be entered: gone (its last process ended,
  // its bind mount was removed), not the namespace of inode `inode` any more (a pid reused), or no
  // privilege. An exception from `work` is rethrown here. Called from one thread at a time; the
  // first call starts the thread.
  bool run_in(const std::string& path, uint32_t inode, const std::function<void()>& work, std::string& error);

 private:
  void serve();

  int home_fd_ = -1;  // the thread's own namespace, to return to
  std::mutex mutex_;
  std::condition_variable changed_;
  const std::function<void()>* job_ = nullptr;  // set by run_in, cleared by the thread when done
  bool quit_ = false;
  std::thread thread_;
};

}  // namespace tcpsight
