// Snapshots of every socket, taken no more often than the SnapshotPacer allows: between two, the
// last one's records are served again (and their age is known).
#pragma once

#include <functional>
#include <vector>

#include "core/snapshot_pacer.hpp"
#include "kernel/snapshotter.hpp"
#include "tcpsight/abi.h"

namespace tcpsight {

class PacedSnapshots {
 public:
  // `clock`: monotonic seconds. `cpu_share`: at most this share of one core goes to snapshots.
  explicit PacedSnapshots(std::function<double()> clock, double cpu_share = kSnapshotCpuShare);

  // A new snapshot's records if one is due, else the last one's.
  const std::vector<ts_sock_record>& records();
  // Whether the last records() call took a new snapshot.
  bool fresh() const { return fresh_; }
  // Seconds since the snapshot behind records() was taken.
  double age() const { return pacer_.age(clock_()); }

 private:
  std::function<double()> clock_;
  Snapshotter snapshotter_;
  SnapshotPacer pacer_;
  std::vector<ts_sock_record> records_;  // reused: no allocation once it has grown
  bool fresh_ = false;
};

}  // namespace tcpsight
