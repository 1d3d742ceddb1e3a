// Paced snapshots taken on a thread of their own, so that a long one never holds up the thread
// that drains the ring buffer: record, at full churn with 200k TIME_WAIT sockets, lost events
// while its own thread walked iter/tcp.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "kernel/paced_snapshots.hpp"
#include "tcpsight/abi.h"

namespace tcpsight {

class BackgroundSnapshots {
 public:
  // Loads the iterator here, on the caller's thread (it needs the caller's capabilities), and
  // takes a first snapshot at once. `clock`: monotonic seconds.
  BackgroundSnapshots(std::function<double()> clock, double cpu_share);
  ~BackgroundSnapshots();  // stops the thread and waits for it
  BackgroundSnapshots(const BackgroundSnapshots&) = delete;
  BackgroundSnapshots& operator=(const BackgroundSnapshots&) = delete;

  // Starts the thread, which asks for a snapshot every `interval_s` (the pacer may say not yet).
  // Call it once the caller has dropped its privileges: a thread keeps the capabilities it was
  // started with.
  void start(double interval_s);

  // The newest snapshot taken since the last call, swapped into `out`, and the monotonic seconds
  // it finished at; false when none is new. Rethrows an error the thread met.
  bool take(std::vector<ts_sock_record>& out, double& finished_s);

 private:
  void run(double interval_s);

  std::function<double()> clock_;
  PacedSnapshots paced_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool ready_ = false;                  // `ready_records_` holds a snapshot not yet taken
  std::vector<ts_sock_record> ready_records_;
  double ready_finished_s_ = 0;
  std::exception_ptr error_;
  std::thread thread_;
};

}  // namespace tcpsight
