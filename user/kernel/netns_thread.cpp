#include "kernel/netns_thread.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>

#include "core/errors.hpp"

namespace tcpsight {

NetnsThread::NetnsThread() {
  home_fd_ = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home_fd_ < 0) throw UserError(std::string("cannot open /proc/self/ns/net: ") + std::strerror(errno));
}

NetnsThread::~NetnsThread() {
  {
    std::lock_guard lock(mutex_);
    quit_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
  close(home_fd_);
}

void NetnsThread::serve() {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [this] { return quit_ || job_; });
    if (quit_) return;
    (*job_)();
    job_ = nullptr;
    changed_.notify_all();
  }
}

bool NetnsThread::run_in(const std::string& path, uint32_t inode, const std::function<void()>& work,
                         std::string& error) {
  // Started at first use, so that it has the capabilities of that moment (serve drops the others
  // after start-up, and capabilities are per thread).
  if (!thread_.joinable()) thread_ = std::thread([this] { serve(); });
  bool entered = false;
  std::exception_ptr failure;
  const std::function<void()> job = [&] {
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      error = std::string("cannot open ") + path + ": " + std::strerror(errno);
      return;
    }
    struct stat st{};
    if (fstat(fd, &st) != 0 || static_cast<uint32_t>(st.st_ino) != inode) {
      error = path + " names another namespace now";
      close(fd);
      return;
    }
    const int rc = setns(fd, CLONE_NEWNET);
    const int setns_errno = errno;
    close(fd);
    if (rc != 0) {
      error = std::string("cannot enter ") + path + ": " + std::strerror(setns_errno);
      return;
    }
    entered = true;
    try {
      work();
    } catch (...) {
      failure = std::current_exception();
    }
    // Returning home cannot fail for a namespace this thread left; if it did, nothing else may run
    // here in a namespace not its own.
    if (setns(home_fd_, CLONE_NEWNET) != 0) std::terminate();
  };
  std::unique_lock lock(mutex_);
  job_ = &job;
  changed_.notify_all();
  changed_.wait(lock, [this] { return job_ == nullptr; });
  if (failure) std::rethrow_exception(failure);
  return entered;
}

}  // namespace tcpsight
