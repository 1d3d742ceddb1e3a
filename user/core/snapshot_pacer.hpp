// When to take the next snapshot of every socket. A snapshot walks the kernel's whole connection
// table, so its cost grows with the host's sockets: on a host with a million, one every second
// would take a third of a core or more. The pacer spaces snapshots so that they use at most a set
// share of one core, and never more often than the front end refreshes; in between, front ends
// show the last snapshot and say how old it is.
#pragma once

namespace tcpsight {

// The share of one core snapshots may use, measured by their duration.
inline constexpr double kSnapshotCpuShare = 0.01;
// From this age on, front ends say that what they show is from an older snapshot.
inline constexpr double kStaleSnapshotSeconds = 0.5;

class SnapshotPacer {
 public:
  explicit SnapshotPacer(double cpu_share = kSnapshotCpuShare) : cpu_share_(cpu_share) {}

  // True before the first snapshot and once the last one's cost has been paid off.
  bool due(double now_s) const { return !taken_ || now_s >= next_s_; }
  // A snapshot ran from `started_s` to `finished_s` (monotonic seconds).
  void taken(double started_s, double finished_s);
  // Seconds since the last snapshot finished; 0 before the first.
  double age(double now_s) const { return taken_ && now_s > finished_s_ ? now_s - finished_s_ : 0; }

 private:
  double cpu_share_;
  bool taken_ = false;
  double finished_s_ = 0;
  double next_s_ = 0;
};

}  // namespace tcpsight
