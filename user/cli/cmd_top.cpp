// `tcpsight top`: the live terminal view. Wiring only: kernel readers feed the TopModel each
// refresh, the layout turns its frame into a Screen, CursesTerminal draws it and reads keys.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "cli/commands.hpp"
#include "cli/signals.hpp"
#include "cli/snapshot_option.hpp"
#include "core/errors.hpp"
#include "kernel/kernel_counters.hpp"
#include "kernel/netns.hpp"
#include "kernel/prerequisites.hpp"
#include "core/owner_index.hpp"
#include "core/owner_scan_pacer.hpp"
#include "kernel/paced_snapshots.hpp"
#include "kernel/sysctls.hpp"
#include "kernel/socket_owners.hpp"
#include "kernel/tracer.hpp"
#include "top/curses_terminal.hpp"
#include "top/layout.hpp"
#include "top/system_info.hpp"
#include "top/top_model.hpp"

namespace tcpsight {

namespace {

struct TopOptions {
  double interval_s = 1;
  double snapshot_share = kSnapshotCpuShare;
};

// The longest the view waits before taking the records queued in the ring buffer.
constexpr int kDrainMs = 100;

// Only the rare per-flow events the flow table needs; states and rates come from the counters.
constexpr uint32_t kStreamedKinds =
    TS_STREAM_BIT(TS_EV_RETRANSMIT) | TS_STREAM_BIT(TS_EV_RESET_SENT) | TS_STREAM_BIT(TS_EV_RESET_RECEIVED);

class LiveReadings {
 public:
  LiveReadings(uint32_t netns, double snapshot_share)
      : tracer_({.netns = netns, .stream_kinds = kStreamedKinds}),
        snapshots_(monotonic_seconds, snapshot_share),
        owner_scanner_(netns) {}

  // Takes the records queued so far; called between refreshes too, so that the ring buffer never
  // fills up while the view waits for a key.
  void drain(TopModel& model) {
    tracer_.poll(0, [&model](const ts_event& e) { model.on_event(e); });
  }

  void refresh(TopModel& model) {
    drain(model);
    scan_owners_if_needed(model);
    const ts_counters counters = tracer_.read_counters();
    const std::vector<ts_sock_record>& sockets = snapshots_.records();
    model.refresh({counters, sockets, read_kernel_counters(), read_local_port_range(), monotonic_seconds(),
                   wall_seconds(), snapshots_.fresh(), snapshots_.age(), &owners_});
  }

 private:
  // At most one owner scan per refresh, and only when a flow in the table lacks an owner.
  void scan_owners_if_needed(const TopModel& model) {
    const double started = monotonic_seconds();
    if (!owner_pacer_.due(started) || !model.wants_owner_scan(owners_)) return;
    owner_scanner_.take(owner_records_);
    owner_pacer_.taken(started, monotonic_seconds());
    owners_ = OwnerIndex(owner_records_, started);
  }

  Tracer tracer_;
  PacedSnapshots snapshots_;
  SocketOwners owner_scanner_;
  OwnerScanPacer owner_pacer_;
  OwnerIndex owners_;
  std::vector<ts_owner_record> owner_records_;  // reused between scans
};

int run_top(const TopOptions& options) {
  if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
    throw UserError("tcpsight top needs a terminal: standard input and output must be a TTY",
                    "for pipes, files and scripts use `tcpsight stats` (or `tcpsight stats --json`)");
  check_bpf_prerequisites();
  const uint32_t netns = current_netns_inode();
  LiveReadings readings(netns, options.snapshot_share);
  TopModel model(read_host_info(netns), monotonic_seconds());
  readings.refresh(model);

  CursesTerminal terminal;
  const LayoutOptions layout{terminal.unicode() ? &Glyphs::utf8() : &Glyphs::ascii()};
  ViewState view;
  TopFrame shown = model.frame();
  Screen screen;
  bool dirty = true;
  double next = monotonic_seconds() + options.interval_s;

  while (!stop_requested()) {
    if (dirty) {
      screen = layout_screen(shown, view, terminal.size(), layout);
      view.scroll = std::min(view.scroll, screen.max_scroll);
      terminal.draw(screen);
      dirty = false;
    }
    const double now = monotonic_seconds();
    if (now >= next) {
      readings.refresh(model);
      if (!view.paused) shown = model.frame();
      dirty = true;
      next += options.interval_s;
      if (next <= now) next = now + options.interval_s;  // after a stall, no burst of catch-up refreshes
      continue;
    }
    // Sleep in the terminal's key wait until the next refresh, draining the ring buffer at least
    // every kDrainMs on the way.
    const int wait_ms = std::min(static_cast<int>(std::ceil((next - now) * 1000)), kDrainMs);
    const auto key = terminal.read_key(wait_ms);
    readings.drain(model);
    if (!key) continue;
    const KeyEffect effect = apply_key(view, *key, screen.body_rows);
    if (effect.quit) break;
    dirty = dirty || effect.changed;
  }
  return 0;
}

}  // namespace

Command add_top_command(CLI::App& parent) {
  auto o = std::make_shared<TopOptions>();
  CLI::App* cmd = parent.add_subcommand("top", "live terminal view of TCP states, queues, TIME_WAIT and retransmits");
  cmd->add_option("--interval", o->interval_s, "seconds between refreshes (default 1)")
      ->check(CLI::Range(0.05, 86400.0));
  add_snapshot_cpu_option(cmd, o->snapshot_share);
  cmd->footer(
      "Keys: q quit, p pause, s sort flows, f filter by port, ? help, arrows/PgUp/PgDn scroll.\n"
      "Needs a terminal; for pipes and scripts use `tcpsight stats`.\n"
      "Examples:\n  tcpsight top\n  tcpsight top --interval 2\n  ip netns exec NS tcpsight top");
  return {cmd, [o] { return run_top(*o); }};
}

}  // namespace tcpsight
