#include <cstdio>
#include <memory>
#include <optional>

#include "cli/commands.hpp"
#include "cli/signals.hpp"
#include "cli/snapshot_option.hpp"
#include "core/aggregator.hpp"
#include "core/stats_report.hpp"
#include "kernel/kernel_facts.hpp"
#include "kernel/netns.hpp"
#include "kernel/prerequisites.hpp"
#include "kernel/paced_snapshots.hpp"
#include "kernel/tracer.hpp"

namespace tcpsight {

namespace {

struct StatsOptions {
  bool json = false;
  double interval_s = 1;
  uint64_t count = 0;     // 0: until interrupted or --duration
  double duration_s = 0;  // 0: until interrupted or --count
  double snapshot_share = kSnapshotCpuShare;
};

// What the running kernel offers, so that a script can tell which figures it may expect.
nlohmann::json with_kernel(nlohmann::json report) {
  const KernelFacts& k = kernel_facts();
  report["kernel"] = {{"release", k.release},
                      {"hz", k.hz},
                      {"hz_source", k.hz_source},
                      {"retransmit_reports_errors", k.retransmit_reports_errors},
                      {"reset_reports_reason", k.reset_reports_reason},
                      {"child_tuple_at_syn_recv", k.child_tuple_at_syn_recv}};
  return report;
}

int run_stats(const StatsOptions& options) {
  check_bpf_prerequisites();
  // Counters and snapshots carry everything stats reports: no event is streamed, so none is lost.
  // A single report is a snapshot: counters since start would all be zero, so none are loaded.
  std::optional<Tracer> tracer;
  if (options.count != 1) tracer.emplace(TracerOptions{.netns = current_netns_inode(), .stream_kinds = 0, .track_sockets = false});
  PacedSnapshots snapshots(monotonic_seconds, options.snapshot_share);
  Aggregator aggregator;

  const double start = monotonic_seconds();
  const double deadline = options.duration_s > 0 ? start + options.duration_s : 0;
  double next = start;
  for (uint64_t reports = 0; !stop_requested();) {
    const double now = monotonic_seconds();
    aggregator.on_counters(tracer ? tracer->read_counters() : ts_counters{}, now);
    aggregator.on_events_missed(tracer ? tracer->missed_events() : 0);
    const auto& records = snapshots.records();
    if (snapshots.fresh()) aggregator.on_snapshot(SocketCensus::from_records(records));
    aggregator.on_snapshot_age(snapshots.age());
    const std::string out = options.json ? with_kernel(stats_json(aggregator, wall_seconds())).dump() + "\n"
                                         : stats_text(aggregator, wall_seconds());
    if (std::fputs(out.c_str(), stdout) < 0 || std::fflush(stdout) != 0) break;  // reader went away
    ++reports;
    if (options.count && reports >= options.count) break;
    if (deadline && now >= deadline - 1e-3) break;
    next += options.interval_s;
    const double wake = deadline ? std::min(next, deadline) : next;
    if (!sleep_unless_stopped(wake - monotonic_seconds())) break;
  }
  return 0;
}

}  // namespace

Command add_stats_command(CLI::App& parent) {
  auto o = std::make_shared<StatsOptions>();
  CLI::App* cmd = parent.add_subcommand("stats", "socket counts, transitions, retransmits, resets per interval");
  cmd->add_flag("--json", o->json, "one JSON object per line");
  cmd->add_option("--interval", o->interval_s, "seconds between reports (default 1)")->check(CLI::Range(0.05, 86400.0));
  cmd->add_option("--count", o->count, "stop after this many reports (1: one snapshot)")->check(CLI::PositiveNumber);
  cmd->add_option("--duration", o->duration_s, "stop after this many seconds")->check(CLI::PositiveNumber);
  add_snapshot_cpu_option(cmd, o->snapshot_share);
  cmd->footer("Examples:\n  tcpsight stats --count 1\n  tcpsight stats --json --interval 5 --duration 60");
  return {cmd, [o] { return run_stats(*o); }};
}

}  // namespace tcpsight
