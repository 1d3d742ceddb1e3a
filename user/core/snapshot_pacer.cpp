#include "core/snapshot_pacer.hpp"

#include <algorithm>

namespace tcpsight {

void SnapshotPacer::taken(double started_s, double finished_s) {
  const double cost_s = std::max(0.0, finished_s - started_s);
  taken_ = true;
  finished_s_ = finished_s;
  // A snapshot that took `cost` is paid off after cost / share seconds, counted from its start.
  next_s_ = started_s + cost_s / cpu_share_;
}

}  // namespace tcpsight
