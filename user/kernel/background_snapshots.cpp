#include "kernel/background_snapshots.hpp"

#include <utility>

namespace tcpsight {

BackgroundSnapshots::BackgroundSnapshots(std::function<double()> clock, double cpu_share)
    : clock_(clock), paced_(std::move(clock), cpu_share), worker_([this](Snapshot& s) { return take_fresh(s); }) {
  worker_.offer({.records = paced_.records(), .finished_s = clock_()});  // the first one is always due
}

bool BackgroundSnapshots::take_fresh(Snapshot& out) {
  const std::vector<ts_sock_record>& records = paced_.records();
  if (!paced_.fresh()) return false;
  out.finished_s = clock_();
  out.records.assign(records.begin(), records.end());
  return true;
}

bool BackgroundSnapshots::take(std::vector<ts_sock_record>& out, double& finished_s) {
  Snapshot s;
  if (!worker_.take(s)) return false;
  out.swap(s.records);
  finished_s = s.finished_s;
  return true;
}

}  // namespace tcpsight
