#include "kernel/paced_snapshots.hpp"

#include <utility>

namespace tcpsight {

PacedSnapshots::PacedSnapshots(std::function<double()> clock, double cpu_share)
    : clock_(std::move(clock)), pacer_(cpu_share) {}

const std::vector<ts_sock_record>& PacedSnapshots::records() {
  const double started = clock_();
  fresh_ = pacer_.due(started);
  if (fresh_) {
    snapshotter_.take(records_);
    pacer_.taken(started, clock_());
  }
  return records_;
}

}  // namespace tcpsight
