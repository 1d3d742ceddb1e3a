#include "cli/top_replay.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/wall_clock.hpp"

namespace tcpsight {

namespace {

// The kinds live top streams (top_readings.cpp): the others are in its counters only.
bool streamed_by_top(const ts_event& e) {
  return e.kind == TS_EV_RETRANSMIT || e.kind == TS_EV_RESET_SENT || e.kind == TS_EV_RESET_RECEIVED;
}

uint64_t ns_of(double seconds) { return seconds > 0 ? static_cast<uint64_t>(seconds * 1e9) : 0; }

}  // namespace

ReplayTopReadings::ReplayTopReadings(const std::string& path, double interval_s)
    : replay_(path), interval_s_(interval_s), position_ns_(replay_.info().start_ns) {
  reset_model();
}

void ReplayTopReadings::reset_model() {
  const recording::RecordingInfo& info = replay_.info();
  const HostInfo host{info.hostname, info.kernel_release, info.netns_name};
  const double start_s = static_cast<double>(info.start_ns) / 1e9;
  if (info.namespaces.empty()) {
    model_ = std::make_unique<TopModel>(host, start_s);
  } else {
    models_ = std::make_unique<NamespaceModels>(host, start_s);
    namespaces_ = std::make_unique<recording::ReplayedNamespaces>();
  }
  seen_snapshot_ = seen_scan_ = 0;
  owners_ = OwnerIndex();
  refreshed_ = false;
}

std::optional<uint32_t> ReplayTopReadings::of_one_namespace() const {
  const recording::RecordingInfo& info = replay_.info();
  if (info.namespaces != "one") return std::nullopt;
  return info.netns;
}

void ReplayTopReadings::refresh(std::optional<uint32_t> keep, bool) {
  // The same moment again (a page opened while paused): the model keeps its last reading, as a
  // second one at no time apart would make every rate zero or infinite.
  if (refreshed_ && position_ns_ == refreshed_ns_) return;
  at_end_ = !replay_.advance_to(position_ns_, [this](const ts_event& e, uint64_t) {
    if (!streamed_by_top(e)) return;
    if (models_) models_->on_event(e);  // to the model of the event's namespace
    else model_->on_event(e);
  });
  if (at_end_) position_ns_ = replay_.now_ns();  // not past the last block: the file's end
  const recording::ReplayState& s = replay_.state();
  if (s.owners_seq != seen_scan_) {
    owners_ = OwnerIndex(s.owners, static_cast<double>(s.owners_started_ns) / 1e9);
    seen_scan_ = s.owners_seq;
  }
  const double now_s = static_cast<double>(position_ns_) / 1e9;
  if (models_) {
    // As top -A refreshed: each namespace's own counters, census and /proc counters. Before the
    // recording's first refresh of the namespaces there is nothing to show yet.
    if (namespaces_->refresh(s, position_ns_))
      models_->refresh(namespaces_->table(), {.now_s = now_s,
                                              .wall_s = replay_.info().wall_seconds(position_ns_),
                                              .snapshot_fresh = namespaces_->census_fresh(),
                                              .events_lost = s.counters.counters.events_lost,
                                              .owners = &owners_,
                                              .keep = keep});
    refreshed_ = true;
    refreshed_ns_ = position_ns_;
    return;
  }
  const bool fresh = s.snapshot_seq != seen_snapshot_;
  seen_snapshot_ = s.snapshot_seq;
  const double age = position_ns_ > s.snapshot_ns ? static_cast<double>(position_ns_ - s.snapshot_ns) / 1e9 : 0;
  // The drill-down's per-socket details are read on demand live and are not in a recording: its
  // lists stay empty.
  TopReading reading{s.counters.counters, s.sockets, s.kernel.counters, s.kernel.port_range, now_s,
                     replay_.info().wall_seconds(position_ns_), fresh, age, &owners_, nullptr, false, {}, 0,
                     &owners_};
  model_->refresh(reading);
  refreshed_ = true;
  refreshed_ns_ = position_ns_;
}

void ReplayTopReadings::play(double seconds) {
  if (at_end_) return;
  position_ns_ += ns_of(seconds);
}

void ReplayTopReadings::seek(double seconds) {
  const uint64_t target = replay_.info().start_ns + ns_of(seconds);
  refresh_up_to(target, false);
  // Past the file's end the refreshes all stopped at it, and the model holds one reading only:
  // now that the end is known, take the three before it again.
  if (at_end_ && target > position_ns_) refresh_up_to(position_ns_, true);
}

void ReplayTopReadings::refresh_up_to(uint64_t target, bool from_start) {
  const uint64_t start = replay_.info().start_ns;
  if (from_start || target < replay_.now_ns()) {
    replay_.rewind();
    reset_model();
  }
  at_end_ = false;
  // The three refreshes before the target, as if top had been watching.
  const uint64_t step = ns_of(interval_s_);
  for (int back = 2; back >= 0; --back) {
    const uint64_t at = target > start + step * static_cast<uint64_t>(back) ? target - step * static_cast<uint64_t>(back) : start;
    position_ns_ = std::max(at, replay_.now_ns());
    refresh(std::nullopt, false);
  }
}

std::string ReplayTopReadings::status(double speed, bool paused) const {
  const double at = position_s();
  return fmt::format(" REPLAY {}x{}  +{:.1f}s  {} ", speed, paused ? " PAUSED" : at_end_ ? " END" : "", at,
                     local_hms(replay_.info().wall_seconds(position_ns_)));
}

}  // namespace tcpsight
