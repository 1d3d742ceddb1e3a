#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/kernel_summary.hpp"
#include "cli/signals.hpp"
#include "cli/namespace_option.hpp"
#include "cli/number_option.hpp"
#include "cli/snapshot_option.hpp"
#include "cli/stats_details.hpp"
#include "core/aggregator.hpp"
#include "core/errors.hpp"
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
#include "record/replay.hpp"
#include "record/replayed_namespaces.hpp"

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
  std::string read;                 // -r: replay this recording instead of reading the kernel
  std::string from;                 // -r: the first report's time (seconds since the epoch, or +S)
};

// --from: "+S" is S seconds after the recording began, else seconds since the epoch (as "time" in
// the JSON reports); nullopt when it is neither.
std::optional<double> parse_from(const std::string& text) {
  if (text.empty()) return std::nullopt;
  const bool relative = text[0] == '+';
  try {
    size_t used = 0;
    const double v = std::stod(text.substr(relative ? 1 : 0), &used);
    if (used != text.size() - (relative ? 1 : 0) || !std::isfinite(v) || v < 0) return std::nullopt;
    return relative ? -v - 1 : v;  // relative: negative, so that it is told apart (-1 - S)
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

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
  report["kernel"] = kernel_summary();
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

// One round of -A or --netns reports: a report per namespace, then one line about all of them.
struct NamespaceRound {
  const NamespaceTable& table;
  const NamespaceWatchCounts& watch;
  const ts_counters& all;  // host-wide: events, counter overflow
  uint64_t missed = 0;
  nlohmann::json kernel;   // the kernel's facts (kernel_summary(), or the recording's)
  double wall_s = 0;
  bool json = false;
  const StatsDetails* detail = nullptr;
};

std::string namespace_reports(const NamespaceRound& r) {
  std::string out;
  for (const auto& [inode, ns] : r.table.namespaces()) {
    if (r.json) {
      nlohmann::json report = with_namespace(stats_json(ns.figures, r.wall_s), ns);
      if (r.detail) report["detail"] = r.detail->json(inode);
      out += json_line(report);
    } else {
      out += fmt::format("=== netns {} {} ({}){}\n", inode, ns.id.name, ns.id.kind, ns.gone ? " gone" : "");
      out += stats_text(ns.figures, r.wall_s);
      if (r.detail) out += r.detail->text(inode);
    }
  }
  const NamespaceWatchCounts& w = r.watch;
  if (r.json) {
    nlohmann::json summary = {
        {"time", r.wall_s},
        {"netns", "all"},
        {"namespaces",
         {{"seen", w.seen}, {"shown", r.table.namespaces().size()}, {"entered", w.entered}, {"failed", w.failed},
          {"unreadable", w.unreadable}, {"counter_overflow", r.all.netns_overflow}}},
        {"events", {{"received", r.all.events_seen}, {"lost", r.all.events_lost}, {"missed", r.missed}}},
        {"kernel", r.kernel}};
    out += json_line(summary);
  } else {
    out += fmt::format("namespaces  {} seen, {} shown; entered {} times, {} failed; {} hits with no counter slot\n",
                       w.seen, r.table.namespaces().size(), w.entered, w.failed, r.all.netns_overflow);
  }
  return out;
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
  drop_privileges({.keep = namespace_entry_capabilities(), .user = std::nullopt});
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
    const std::string out = namespace_reports(
        {.table = table, .watch = watcher.counts(), .all = all, .missed = tracer ? tracer->missed_events() : 0,
         .kernel = kernel_summary(), .wall_s = wall_seconds(), .json = options.json, .detail = detail ? &*detail : nullptr});
    if (!write_out(out) || !clock.next(now)) break;
  }
  return 0;
}

// stats -r: the reports live stats would have printed while the recording was made, one per
// --interval of the recording's time from --from (default: its start), each from the counter
// reading and the snapshot the file holds for that moment, printed as fast as they are read.
int run_replayed_stats(const StatsOptions& options) {
  if (options.namespaces.chosen() || options.detail_request.any())
    throw UserError("-r replays what the recording holds: -A, --netns and --detail do not apply to it");
  recording::Replay replay(options.read);
  const recording::RecordingInfo& info = replay.info();
  uint64_t t = info.start_ns;
  if (const auto from = parse_from(options.from)) {
    const double at = *from < 0 ? static_cast<double>(info.start_ns) / 1e9 + (-*from - 1)
                                : *from - info.realtime_minus_monotonic_s;
    t = at > 0 ? static_cast<uint64_t>(at * 1e9) : 0;
  }
  const auto step = static_cast<uint64_t>(options.interval_s * 1e9);
  const uint64_t until = options.duration_s > 0 ? t + static_cast<uint64_t>(options.duration_s * 1e9) : UINT64_MAX;
  Aggregator aggregator;
  uint64_t seen_snapshot = 0, reports = 0;
  const bool per_namespace = !info.namespaces.empty();  // record -A or --netns: as stats -A printed
  recording::ReplayedNamespaces namespaces;
  const nlohmann::json kernel = info.header.contains("kernel") ? info.header["kernel"] : nlohmann::json::object();
  for (; !stop_requested() && t <= until; t += step) {
    const bool more = replay.advance_to(t);
    if (!more && t > replay.now_ns()) break;  // past the recording's end
    const recording::ReplayState& s = replay.state();
    if (!s.has_counters) continue;           // before the recording began
    if (per_namespace) {
      if (!namespaces.refresh(s, t)) continue;  // before the first refresh of the namespaces
      if (!write_out(namespace_reports({.table = namespaces.table(),
                                        .watch = s.namespaces.watch,
                                        .all = s.counters.counters,
                                        .missed = s.counters.missed,
                                        .kernel = kernel,
                                        .wall_s = info.wall_seconds(t),
                                        .json = options.json})) ||
          (options.count && ++reports >= options.count))
        break;
      continue;
    }
    aggregator.on_counters(s.counters.counters, static_cast<double>(s.counters_ns) / 1e9);
    aggregator.on_events_missed(s.counters.missed);
    if (s.has_snapshot && s.snapshot_seq != seen_snapshot) {
      aggregator.on_snapshot(SocketCensus::from_records(s.sockets));
      seen_snapshot = s.snapshot_seq;
    }
    aggregator.on_snapshot_age(s.has_snapshot && t > s.snapshot_ns ? static_cast<double>(t - s.snapshot_ns) / 1e9 : 0);
    const double wall = info.wall_seconds(t);
    std::string out;
    if (options.json) {
      nlohmann::json report = stats_json(aggregator, wall);
      report["kernel"] = kernel;
      out = json_line(report);
    } else {
      out = stats_text(aggregator, wall);
    }
    if (!write_out(out) || (options.count && ++reports >= options.count)) break;
  }
  if (replay.state().loss.writer_dropped)
    std::fprintf(stderr, "tcpsight: the recorder could not write %llu events in time (counters are whole)\n",
                 static_cast<unsigned long long>(replay.state().loss.writer_dropped));
  const std::string damage = recording::damage_summary(replay.reader());
  if (damage.empty()) return 0;
  std::fprintf(stderr, "tcpsight: %s: %s\n", options.read.c_str(), damage.c_str());
  return 1;
}

int run_stats(const StatsOptions& options) {
  if (!options.read.empty()) return run_replayed_stats(options);
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
  CLI::Option* read = cmd->add_option("-r,--read", o->read,
                                      "replay this recording (tcpsight record -w): the reports stats would have "
                                      "printed while it was made, one per --interval of it")
                          ->type_name("FILE");
  cmd->add_option("--from", o->from, "with -r: the first report's time, in seconds since the epoch (as \"time\") "
                                     "or +S after the recording began (default: its start)")
      ->type_name("TIME|+S")
      ->check([](const std::string& s) {
        return parse_from(s) ? std::string() : "not seconds since the epoch nor +SECONDS: " + s;
      })
      ->needs(read);
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
