#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/signals.hpp"
#include "cli/namespace_option.hpp"
#include "cli/number_option.hpp"
#include "cli/snapshot_option.hpp"
#include "cli/stats_details.hpp"
#include "core/aggregator.hpp"
#include "core/namespace_table.hpp"
#include "core/owner_index.hpp"
#include "core/socket_rows.hpp"
#include "core/stats_detail.hpp"
#include "core/stats_report.hpp"
#include "kernel/kernel_facts.hpp"
#include "kernel/namespace_refresh.hpp"
#include "kernel/namespace_watch.hpp"
#include "kernel/netns.hpp"
#include "kernel/prerequisites.hpp"
#include "kernel/paced_snapshots.hpp"
#include "kernel/privileges.hpp"
#include "kernel/socket_details.hpp"
#include "kernel/socket_owners.hpp"
#include "kernel/tracer.hpp"

namespace tcpsight {

namespace {

struct StatsOptions {
  bool json = false;
  double interval_s = 1;
  uint64_t count = 0;     // 0: until interrupted or --duration
  double duration_s = 0;  // 0: until interrupted or --count
  double snapshot_share = kSnapshotCpuShare;
  NamespaceChoice namespaces;
  std::vector<std::string> detail;  // each --detail as given: a comma list of "owners", "listeners"
  DetailRequest detail_request;     // what --detail and --detail-limit ask for, set after parsing
};

// The names of one --detail: "owners,listeners" -> {"owners", "listeners"}; "" and "owners," keep
// their empty names, so that they are refused.
std::vector<std::string> detail_names(const std::string& list) {
  std::vector<std::string> names;
  for (size_t start = 0;;) {
    const size_t comma = list.find(',', start);
    names.push_back(list.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) return names;
    start = comma + 1;
  }
}

// What the running kernel offers, so that a script can tell which figures it may expect.
nlohmann::json with_kernel(nlohmann::json report) {
  const KernelFacts& k = kernel_facts();
  const TracepointFacts& tp = tracepoint_facts();
  report["kernel"] = {{"release", k.release},
                      {"hz", k.hz},
                      {"hz_source", k.hz_source},
                      {"retransmit_reports_errors", tp.retransmit_reports_errors},
                      {"reset_reports_reason", tp.reset_reports_reason},
                      {"child_tuple_at_syn_recv", k.child_tuple_at_syn_recv}};
  return report;
}

// Sleeps until the next report is due; false when it is time to stop.
class ReportClock {
 public:
  explicit ReportClock(const StatsOptions& options)
      : options_(options), next_(monotonic_seconds()),
        deadline_(options.duration_s > 0 ? next_ + options.duration_s : 0) {}

  bool next(double report_started) {
    ++reports_;
    if (options_.count && reports_ >= options_.count) return false;
    if (deadline_ && report_started >= deadline_ - 1e-3) return false;
    next_ += options_.interval_s;
    const double wake = deadline_ ? std::min(next_, deadline_) : next_;
    return sleep_unless_stopped(wake - monotonic_seconds());
  }

 private:
  const StatsOptions& options_;
  double next_;
  double deadline_;
  uint64_t reports_ = 0;
};

// A report as one line. Names in it are visible_text() already, valid UTF-8; should one not be, its
// bytes become U+FFFD rather than an exception (nlohmann's default) ending stats.
std::string json_line(const nlohmann::json& report) {
  return report.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

bool write_out(const std::string& out) { return std::fputs(out.c_str(), stdout) >= 0 && std::fflush(stdout) == 0; }

// How a namespace is named in every report about it.
nlohmann::json with_namespace(nlohmann::json report, const NamespaceView& ns) {
  const auto counter = [&](const char* key) {
    const auto it = ns.kernel.find(key);
    return it == ns.kernel.end() ? int64_t{0} : it->second;
  };
  report["netns"] = ns.id.inode;
  report["name"] = ns.id.name;
  report["kind"] = ns.id.kind;
  report["container_id"] = ns.id.container_id;
  report["gone"] = ns.gone;
  report["listen_overflows"] = counter("TcpExt.ListenOverflows");
  report["listen_drops"] = counter("TcpExt.ListenDrops");
  return report;
}

// -A and --netns: a report per namespace, then one line about all of them.
int run_namespace_stats(const StatsOptions& options) {
  const NamespaceChoice& choice = options.namespaces;
  check_bpf_prerequisites();
  check_namespace_prerequisites(choice.option());
  std::optional<Tracer> tracer;
  if (options.count != 1)
    tracer.emplace(TracerOptions{.netns = choice.one ? choice.one->inode : 0, .stream_kinds = 0,
                                 .track_sockets = false, .netns_slots = kNamespaceCounterSlots});
  NamespaceWatcher watcher(choice.one, monotonic_seconds, options.snapshot_share);
  NamespaceTable table;
  std::optional<StatsDetails> detail;
  if (options.detail_request.any()) detail.emplace(options.detail_request, choice.one ? choice.one->inode : 0);
  // Loaded and attached; what entering the namespaces needs is kept (as serve -A).
  drop_privileges({.keep = namespace_entry_capabilities()});
  for (ReportClock clock(options); !stop_requested();) {
    const double now = monotonic_seconds();
    refresh_namespaces(table, watcher, tracer ? &*tracer : nullptr, now);
    const ts_counters all = tracer ? tracer->read_counters() : ts_counters{};
    if (detail) {
      // Each namespace's sockets are read inside it; one gone meanwhile gets empty lists.
      std::vector<uint32_t> inodes;
      for (const auto& [inode, ns] : table.namespaces())
        if (!ns.gone) inodes.push_back(inode);
      detail->read(inodes, [&](uint32_t inode, const std::function<void()>& pass) {
        return watcher.run_in(inode, pass);
      });
    }
    std::string out;
    for (const auto& [inode, ns] : table.namespaces()) {
      if (options.json) {
        nlohmann::json report = with_namespace(stats_json(ns.figures, wall_seconds()), ns);
        if (detail) report["detail"] = detail->json(inode);
        out += json_line(report);
      } else {
        out += fmt::format("=== netns {} {} ({}){}\n", inode, ns.id.name, ns.id.kind, ns.gone ? " gone" : "");
        out += stats_text(ns.figures, wall_seconds());
        if (detail) out += detail->text(inode);
      }
    }
    const NamespaceWatchCounts& w = watcher.counts();
    if (options.json) {
      nlohmann::json summary = {
          {"time", wall_seconds()},
          {"netns", "all"},
          {"namespaces",
           {{"seen", w.seen}, {"shown", table.namespaces().size()}, {"entered", w.entered}, {"failed", w.failed},
            {"unreadable", w.unreadable}, {"counter_overflow", all.netns_overflow}}},
          {"events", {{"received", all.events_seen}, {"lost", all.events_lost},
                      {"missed", tracer ? tracer->missed_events() : 0}}}};
      out += json_line(with_kernel(std::move(summary)));
    } else {
      out += fmt::format("namespaces  {} seen, {} shown; entered {} times, {} failed; {} hits with no counter slot\n",
                         w.seen, table.namespaces().size(), w.entered, w.failed, all.netns_overflow);
    }
    if (!write_out(out) || !clock.next(now)) break;
  }
  return 0;
}

int run_stats(const StatsOptions& options) {
  if (options.namespaces.chosen()) return run_namespace_stats(options);
  check_bpf_prerequisites();
  // Counters and snapshots carry everything stats reports: no event is streamed, so none is lost.
  // A single report is a snapshot: counters since start would all be zero, so none are loaded.
  std::optional<Tracer> tracer;
  if (options.count != 1) tracer.emplace(TracerOptions{.netns = current_netns_inode(), .stream_kinds = 0, .track_sockets = false});
  PacedSnapshots snapshots(monotonic_seconds, options.snapshot_share);
  Aggregator aggregator;
  std::optional<StatsDetails> detail;
  const uint32_t own = current_netns_inode();
  if (options.detail_request.any()) detail.emplace(options.detail_request, own);
  // Loaded and attached: from here on stats reads maps, makes iterator fds from links it holds and
  // reads /proc, none of which needs a capability (as serve, kernel/privileges.hpp).
  drop_privileges({});

  for (ReportClock clock(options); !stop_requested();) {
    const double now = monotonic_seconds();
    if (detail) detail->read({own}, [](uint32_t, const std::function<void()>& pass) {
      pass();  // tcpsight's own namespace: no setns
      return true;
    });
    aggregator.on_counters(tracer ? tracer->read_counters() : ts_counters{}, now);
    aggregator.on_events_missed(tracer ? tracer->missed_events() : 0);
    const auto& records = snapshots.records();
    if (snapshots.fresh()) aggregator.on_snapshot(SocketCensus::from_records(records));
    aggregator.on_snapshot_age(snapshots.age());
    std::string out;
    if (options.json) {
      nlohmann::json report = with_kernel(stats_json(aggregator, wall_seconds()));
      if (detail) report["detail"] = detail->json(own);
      out = json_line(report);
    } else {
      out = stats_text(aggregator, wall_seconds());
      if (detail) out += detail->text(own);
    }
    if (!write_out(out) || !clock.next(now)) break;  // the reader went away, or it is time to stop
  }
  return 0;
}

}  // namespace

Command add_stats_command(CLI::App& parent) {
  auto o = std::make_shared<StatsOptions>();
  CLI::App* cmd = parent.add_subcommand("stats", "socket counts, transitions, retransmits, resets per interval");
  cmd->add_flag("--json", o->json, "one JSON object per line");
  cmd->add_option("--interval", o->interval_s, "seconds between reports (default 1)")
      ->transform(real_in(0.05, 86400));
  cmd->add_option("--count", o->count, "stop after this many reports (1: one snapshot)")
      ->transform(whole_in(1, kMaxCount));
  cmd->add_option("--duration", o->duration_s, "stop after this many seconds")
      ->transform(real_in(kMinDuration, kMaxDuration));
  add_snapshot_cpu_option(cmd, o->snapshot_share);
  CLI::Option* detail =
      cmd->add_option("--detail", o->detail,
                      "also list per report, as \"detail\" in JSON: owners (sockets per process, by state) and/or "
                      "listeners (queues, holders and connections of each listening socket); a comma list, repeatable")
          ->type_name("owners,listeners")
          ->check(CLI::Validator(
              [](std::string& list) {
                for (const std::string& d : detail_names(list))
                  if (d != "owners" && d != "listeners")
                    return "'" + d + "' is neither owners nor listeners (e.g. --detail owners,listeners)";
                return std::string();
              },
              "owners,listeners"));
  cmd->add_option("--detail-limit", o->detail_request.limit,
                  "at most this many owners and listeners per report (default 100); the rest are counted")
      ->transform(whole_in(1, 1000000))
      ->needs(detail);
  add_namespace_options(cmd, o->namespaces);
  cmd->final_callback([o] {  // after parsing, inside app.parse: a throw is a usage error (exit 2)
    for (const std::string& list : o->detail)
      for (const std::string& d : detail_names(list))
        (d == "owners" ? o->detail_request.owners : o->detail_request.listeners) = true;
  });
  cmd->footer(
      "Examples:\n  tcpsight stats --count 1\n  tcpsight stats --json --interval 5 --duration 60\n"
      "  tcpsight stats -A --json   (a line per network namespace, then {\"netns\":\"all\",...})\n"
      "  tcpsight stats --netns $(podman inspect -f '{{.State.Pid}}' web)\n"
      "  tcpsight stats --json --count 1 --detail owners,listeners | jq .detail\n"
      "     (\"owners\": sockets per process as ss -tanp lists them, pid null for those no process holds;\n"
      "      \"listeners\": each listening socket's queues, pids and connections by state; each list at most\n"
      "      --detail-limit long, \"owners_more\"/\"listeners_more\" count what was left out. Text output gets\n"
      "      \"owner\" and \"listener\" lines. With -A or --netns each namespace's report has its own,\n"
      "      read inside it)");
  return {cmd, [o] { return run_stats(*o); }};
}

}  // namespace tcpsight
