#include "cli/signals.hpp"

#include <atomic>
#include <csignal>
#include <ctime>

namespace tcpsight {

namespace {
// Set by the handler, read by every thread (serve's watcher among them): an atomic, which a
// volatile sig_atomic_t is not between threads. Lock-free, so the handler may store to it.
std::atomic<bool> stop_flag{false};
static_assert(std::atomic<bool>::is_always_lock_free);
void on_stop(int) { stop_flag.store(true, std::memory_order_relaxed); }
double seconds_of(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}
}  // namespace

void install_stop_signals() {
  struct sigaction sa{};
  sa.sa_handler = on_stop;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocking wait returns EINTR and the loop sees the flag
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

bool stop_requested() { return stop_flag.load(std::memory_order_relaxed); }

bool sleep_unless_stopped(double seconds) {
  const double end = monotonic_seconds() + seconds;
  for (double left = seconds; left > 0 && !stop_requested(); left = end - monotonic_seconds()) {
    const double slice = left < 0.05 ? left : 0.05;
    timespec ts{static_cast<time_t>(slice), static_cast<long>((slice - static_cast<double>(static_cast<time_t>(slice))) * 1e9)};
    nanosleep(&ts, nullptr);
  }
  return !stop_requested();
}

double monotonic_seconds() { return seconds_of(CLOCK_MONOTONIC); }
double wall_seconds() { return seconds_of(CLOCK_REALTIME); }

}  // namespace tcpsight
