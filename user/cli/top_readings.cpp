#include "cli/top_readings.hpp"

#include <time.h>

#include <functional>
#include <vector>

#include "core/namespace_table.hpp"
#include "core/owner_index.hpp"
#include "core/owner_scan_pacer.hpp"
#include "cli/signals.hpp"
#include "kernel/clock.hpp"
#include "kernel/kernel_counters.hpp"
#include "kernel/namespace_refresh.hpp"
#include "kernel/namespace_watch.hpp"
#include "kernel/netns.hpp"
#include "kernel/paced_snapshots.hpp"
#include "kernel/socket_details.hpp"
#include "kernel/socket_owners.hpp"
#include "kernel/sysctls.hpp"
#include "kernel/tracer.hpp"
#include "top/system_info.hpp"
#include "top/top_model.hpp"

namespace tcpsight {

namespace {

// Only the rare per-flow events the flow table needs; states and rates come from the counters.
constexpr uint32_t kStreamedKinds =
    TS_STREAM_BIT(TS_EV_RETRANSMIT) | TS_STREAM_BIT(TS_EV_RESET_SENT) | TS_STREAM_BIT(TS_EV_RESET_RECEIVED);

// Who holds the sockets of the flows on screen: at most one scan per refresh, and only when a
// flow lacks an owner.
class OwnerScans {
 public:
  explicit OwnerScans(uint32_t netns) : scanner_(netns) {}

  // A scan now, whatever the pacing: right after a details pass, which gave every socket a cookie.
  const OwnerIndex& scan_now() {
    const double started = monotonic_seconds();
    scanner_.take(records_);
    pacer_.taken(started, monotonic_seconds());
    owners_ = OwnerIndex(records_, started);
    return owners_;
  }

  void scan_if_wanted(const std::function<bool(const OwnerIndex&)>& wants_scan) {
    const double started = monotonic_seconds();
    if (!pacer_.due(started) || !wants_scan(owners_)) return;
    scanner_.take(records_);
    pacer_.taken(started, monotonic_seconds());
    owners_ = OwnerIndex(records_, started);
  }
  const OwnerIndex& owners() const { return owners_; }

 private:
  SocketOwners scanner_;
  OwnerScanPacer pacer_;
  OwnerIndex owners_;
  std::vector<ts_owner_record> records_;  // reused between scans
};

class OwnNamespaceReadings final : public TopReadings {
 public:
  OwnNamespaceReadings(uint32_t netns, double snapshot_share, bool socket_timing)
      : tracer_({.netns = netns, .stream_kinds = kStreamedKinds, .track_sockets = socket_timing}),
        snapshots_(monotonic_seconds, snapshot_share),
        owners_(netns),
        details_(tracer_.sock_infos_fd()),
        model_(read_host_info(netns), monotonic_seconds()) {}

  void drain() override {
    tracer_.poll(0, [this](const ts_event& e) { model_.on_event(e); });
  }

  void refresh(std::optional<uint32_t>, bool details) override {
    drain();
    uint64_t details_ns = 0;
    if (details) {
      // The details pass first: it gives each socket its cookie, so the scan after it finds every holder.
      details_ns = monotonic_ns();
      details_.take(detail_records_);
      owners_.scan_now();
    } else {
      owners_.scan_if_wanted([this](const OwnerIndex& o) { return model_.wants_owner_scan(o); });
    }
    const ts_counters counters = tracer_.read_counters();
    const std::vector<ts_sock_record>& sockets = snapshots_.records();
    TopReading reading{counters, sockets, read_kernel_counters(), read_local_port_range(), monotonic_seconds(),
                       wall_seconds(), snapshots_.fresh(), snapshots_.age(), &owners_.owners(), nullptr,
                       details, detail_records_, details_ns, &owners_.owners()};
    model_.refresh(reading);
  }

  NamespaceFrames frames() const override { return {model_.frame(), {}}; }

 private:
  Tracer tracer_;
  PacedSnapshots snapshots_;
  OwnerScans owners_;
  SocketDetails details_;
  std::vector<ts_sock_detail> detail_records_;  // reused between passes
  TopModel model_;
};

class NamespaceReadings final : public TopReadings {
 public:
  NamespaceReadings(const NamespaceChoice& choice, double snapshot_share, bool socket_timing)
      : tracer_({.netns = netns_of(choice),
                 .stream_kinds = kStreamedKinds,
                 .track_sockets = socket_timing,
                 .netns_slots = kNamespaceCounterSlots}),
        watcher_(choice.one, monotonic_seconds, snapshot_share),
        owners_(netns_of(choice)),
        details_(tracer_.sock_infos_fd()),
        models_(read_host_info(current_netns_inode()), monotonic_seconds()) {}

  void drain() override {
    tracer_.poll(0, [this](const ts_event& e) { models_.on_event(e); });
  }

  void refresh(std::optional<uint32_t> keep, bool details) override {
    drain();
    const double now = monotonic_seconds();
    refresh_namespaces(table_, watcher_, &tracer_, now);
    // The namespace on screen in full: its sockets read inside it, then who holds them.
    const uint64_t details_ns = monotonic_ns();
    const bool taken = details && keep && watcher_.run_in(*keep, [&] { details_.take(detail_records_); });
    if (taken)
      owners_.scan_now();
    else
      owners_.scan_if_wanted([this](const OwnerIndex& o) { return models_.wants_owner_scan(o); });
    models_.refresh(table_, {.now_s = now,
                             .wall_s = wall_seconds(),
                             .snapshot_fresh = watcher_.fresh(),
                             .events_lost = tracer_.read_counters().events_lost,
                             .owners = &owners_.owners(),
                             .keep = keep,
                             .details_taken = taken,
                             .details = detail_records_,
                             .details_ns = details_ns,
                             .detail_owners = &owners_.owners()});
  }

  NamespaceFrames frames() const override { return models_.frames(); }

 private:
  // --netns: only its sockets are traced and scanned; -A: every namespace's.
  static uint32_t netns_of(const NamespaceChoice& choice) { return choice.one ? choice.one->inode : 0; }

  Tracer tracer_;
  NamespaceWatcher watcher_;
  NamespaceTable table_;
  OwnerScans owners_;
  SocketDetails details_;
  std::vector<ts_sock_detail> detail_records_;  // reused between passes
  NamespaceModels models_;
};

}  // namespace

std::unique_ptr<TopReadings> own_namespace_readings(double snapshot_share, bool socket_timing) {
  return std::make_unique<OwnNamespaceReadings>(current_netns_inode(), snapshot_share, socket_timing);
}

std::unique_ptr<TopReadings> namespace_readings(const NamespaceChoice& choice, double snapshot_share,
                                                bool socket_timing) {
  return std::make_unique<NamespaceReadings>(choice, snapshot_share, socket_timing);
}

}  // namespace tcpsight
