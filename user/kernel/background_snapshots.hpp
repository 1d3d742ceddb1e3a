// Paced snapshots taken on a thread of their own, so that a long one never holds up the thread
// that drains the ring buffer: record, at full churn with 200k TIME_WAIT sockets, lost events
// while its own thread walked iter/tcp.
#pragma once

#include <functional>
#include <vector>

#include "kernel/background_worker.hpp"
#include "kernel/paced_snapshots.hpp"
#include "tcpsight/abi.h"

namespace tcpsight {

class BackgroundSnapshots {
 public:
  // Loads the iterator here, on the caller's thread (it needs the caller's capabilities), and
  // takes a first snapshot at once. `clock`: monotonic seconds.
  BackgroundSnapshots(std::function<double()> clock, double cpu_share);

  // Starts the thread, which asks for a snapshot every `interval_s` (the pacer may say not yet).
  // Call it once the caller has dropped its privileges.
  void start(double interval_s) { worker_.start(interval_s, false); }

  // The newest snapshot taken since the last call, swapped into `out`, and the monotonic seconds
  // it finished at; false when none is new. Rethrows an error the thread met.
  bool take(std::vector<ts_sock_record>& out, double& finished_s);

 private:
  struct Snapshot {
    std::vector<ts_sock_record> records;
    double finished_s = 0;
  };
  bool take_fresh(Snapshot& out);

  std::function<double()> clock_;
  PacedSnapshots paced_;
  BackgroundWorker<Snapshot> worker_;  // last: stopped before what it uses goes
};

}  // namespace tcpsight
