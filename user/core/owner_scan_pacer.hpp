// When the next owner scan may run. A scan visits every open file of every process, so its cost
// grows with the host's open files (README, Performance): scans run no more often than every
// `min_interval_s`, and spaced so that they use at most `cpu_share` of one core, however many
// files the host has open.
#pragma once

#include "core/snapshot_pacer.hpp"

namespace tcpsight {

inline constexpr double kOwnerScanMinInterval = 0.2;
inline constexpr double kOwnerScanCpuShare = 0.03;

class OwnerScanPacer {
 public:
  explicit OwnerScanPacer(double min_interval_s = kOwnerScanMinInterval, double cpu_share = kOwnerScanCpuShare)
      : min_interval_s_(min_interval_s), cpu_(cpu_share) {}

  bool due(double now_s) const { return (!taken_ || now_s - started_s_ >= min_interval_s_) && cpu_.due(now_s); }
  // A scan ran from `started_s` to `finished_s` (monotonic seconds).
  void taken(double started_s, double finished_s) {
    taken_ = true;
    started_s_ = started_s;
    cpu_.taken(started_s, finished_s);
  }
  // When the last scan started; 0 before the first.
  double started_s() const { return started_s_; }

 private:
  double min_interval_s_;
  SnapshotPacer cpu_;
  bool taken_ = false;
  double started_s_ = 0;
};

}  // namespace tcpsight
