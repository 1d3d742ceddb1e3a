#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <sstream>
#include <vector>

#include "cli/commands.hpp"
#include "cli/event_filter_options.hpp"
#include "cli/namespace_option.hpp"
#include "cli/number_option.hpp"
#include "cli/signals.hpp"
#include "cli/stop_aware_output.hpp"
#include "core/errors.hpp"
#include "core/event_filter.hpp"
#include "core/event_format.hpp"
#include "core/owner_attribution.hpp"
#include "core/tcp_state.hpp"
#include "core/trace_fields.hpp"
#include "core/trace_summary.hpp"
#include "kernel/kernel_facts.hpp"
#include "kernel/namespace_directory.hpp"
#include "kernel/netns.hpp"
#include "kernel/prerequisites.hpp"
#include "kernel/privileges.hpp"
#include "kernel/socket_owners.hpp"
#include "kernel/tracer.hpp"
#include "record/replay.hpp"

namespace tcpsight {

namespace {

struct TraceOptions {
  bool json = false;
  double duration_s = 0;  // 0: until interrupted
  EventFilterOptions event_filter;  // --port, --addr, --state
  std::optional<uint32_t> pid;
  NamespaceChoice namespaces;
  std::vector<TraceField> fields;  // --fields; empty: the full line
  std::string read;                // -r: replay this recording instead of tracing

  EventFilter filter() const { return event_filter.filter(pid); }
};

// Events wait in `owners` until their owners are known (OwnerAttribution), then are printed.
class OwnedEventStream {
 public:
  OwnedEventStream(uint32_t netns, OwnerAttribution& owners) : scanner_(netns), owners_(owners) {}

  // Runs an owner scan if one is due (or, at the end, if any event still waits for its owner),
  // then hands every event that is ready to `print`. `scan` false: none (nobody reads any more).
  template <class Print>
  void release(bool final, const Print& print, bool scan = true) {
    const double now = monotonic_seconds();
    if (scan && (owners_.scan_due(now) || (final && owners_.waiting_for_owner()))) {
      scanner_.take(records_);
      owners_.on_scan(records_, now, monotonic_seconds());
    }
    if (final ? owners_.held() > 0 : owners_.ready(now))
      for (const OwnedEvent& oe : owners_.release()) print(oe);
  }

 private:
  SocketOwners scanner_;
  OwnerAttribution& owners_;
  std::vector<ts_owner_record> records_;  // reused between scans
};

TraceSummary::Stop stop_of(StopAwareOutput::Failure f) {
  switch (f) {
    case StopAwareOutput::Failure::reader_gone: return TraceSummary::Stop::reader_gone;
    case StopAwareOutput::Failure::stopped: return TraceSummary::Stop::stopped;
    case StopAwareOutput::Failure::none: break;
  }
  return TraceSummary::Stop::none;
}

// One event's line as --json and --fields ask, appended to `out`.
void append_line(fmt::memory_buffer& out, const TraceOptions& options, const OwnedEvent& oe, const Clock& clock,
                 std::span<const std::string> reasons, const std::string* netns_name) {
  if (options.fields.empty() && options.json)
    append_trace_json(out, oe.event, oe.owner, clock, reasons, netns_name);
  else if (options.fields.empty())
    append_trace_line(out, oe.event, oe.owner, clock, reasons, netns_name);
  else if (options.json)
    append_trace_json(out, options.fields, oe.event, oe.owner, clock, reasons, netns_name);
  else
    append_trace_line(out, options.fields, oe.event, oe.owner, clock, reasons, netns_name);
}

// Each event that passes the filter, as one line to `out`; what does not is counted.
class EventPrinter {
 public:
  // `name_of`: a namespace's name for lines that show it; null: none do.
  EventPrinter(const TraceOptions& options, const EventFilter& filter, StopAwareOutput& out, const Clock& clock,
               std::span<const std::string> reasons, std::function<std::string(uint32_t)> name_of)
      : options_(options), filter_(filter), out_(out), clock_(clock), reasons_(reasons),
        name_of_(std::move(name_of)) {}

  void print(const OwnedEvent& oe) {
    if (!filter_.matches(oe.event, oe.owner)) {
      ++filtered_;
      return;
    }
    if (!out_.ok()) {  // nobody to read it: counted, not formatted
      out_.skip();
      return;
    }
    std::string name;
    if (name_of_) name = name_of_(oe.event.netns);
    line_.clear();
    append_line(line_, options_, oe, clock_, reasons_, name_of_ ? &name : nullptr);
    out_.line(std::string_view(line_.data(), line_.size()));
  }
  uint64_t filtered() const { return filtered_; }

 private:
  const TraceOptions& options_;
  const EventFilter& filter_;
  StopAwareOutput& out_;
  const Clock& clock_;
  std::span<const std::string> reasons_;
  std::function<std::string(uint32_t)> name_of_;
  fmt::memory_buffer line_;  // every line is written here: no allocation per event
  uint64_t filtered_ = 0;
};

// trace -r: the recording's events through the same filters and lines, owners from the owner scans
// it holds, as live trace would have named them.
int run_replayed_trace(const TraceOptions& options) {
  if (options.namespaces.chosen())
    throw UserError("-r replays the namespaces the recording holds: -A and --netns do not apply to it");
  recording::Replay replay(options.read);
  const recording::RecordingInfo& info = replay.info();
  const EventFilter filter = options.filter();
  const uint32_t recorder = info.header.value("recorder_pid", 0u);
  OwnerAttribution owners({.self_tgid = recorder});
  const Clock clock{info.realtime_minus_monotonic_s};
  StopAwareOutput out(STDOUT_FILENO);
  const bool fields = !options.fields.empty();
  // A recording of namespaces (record -A, --netns) names each event's, as live trace -A does.
  const bool per_namespace = !info.namespaces.empty();
  if (!options.json) out.line(fields ? trace_header(options.fields) : trace_header(per_namespace));
  out.flush();
  const uint64_t header_written = out.written(), header_discarded = out.discarded();
  const bool named = per_namespace || std::ranges::find(options.fields, TraceField::name) != options.fields.end();
  const auto name_of = [&](uint32_t inode) {
    for (const NamespaceSighting& n : replay.state().namespaces.sightings)  // the last refresh's names
      if (n.id.inode == inode) return n.id.name;
    return inode == info.netns && !info.netns_name.empty() ? info.netns_name : "inode " + std::to_string(inode);
  };
  EventPrinter printer(options, filter, out, clock, info.reset_reasons,
                       named ? std::function<std::string(uint32_t)>(name_of) : nullptr);
  double now_s = 0;
  const auto release = [&](bool final) {
    if (final ? owners.held() > 0 : owners.ready(now_s))
      for (const OwnedEvent& oe : owners.release()) printer.print(oe);
  };
  const uint64_t until =
      options.duration_s > 0 ? info.start_ns + static_cast<uint64_t>(options.duration_s * 1e9) : UINT64_MAX;
  const recording::Replay::EventSink on_event = [&](const ts_event& e, uint64_t block_ns) {
    now_s = static_cast<double>(block_ns) / 1e9;
    owners.add(e, now_s);
    release(false);
  };
  const recording::Replay::ScanSink on_scan = [&](const recording::ReplayState& s) {
    now_s = static_cast<double>(s.owners_ns) / 1e9;
    owners.on_scan(s.owners, static_cast<double>(s.owners_started_ns) / 1e9, now_s);
    release(false);
  };
  // A tenth of a second of the recording at a time, so that Ctrl-C or a reader gone ends it.
  for (uint64_t t = info.start_ns; !stop_requested() && out.ok(); t = std::min(until, t + 100'000'000)) {
    if (!replay.advance_to(t, on_event, on_scan) || t >= until) break;
    out.flush();
  }
  release(true);
  out.flush();
  const recording::ReplayState& s = replay.state();
  const TraceSummary summary{.delivered = out.written() - header_written,
                             .not_written = out.discarded() - header_discarded,
                             .why_not_written = stop_of(out.failure()),
                             .ring_lost = s.counters.counters.events_lost,
                             .kernel_missed = s.counters.missed,
                             .filtered = printer.filtered() + s.counters.counters.events_filtered,
                             .filtered_in_kernel = s.counters.counters.events_filtered,
                             .owner_scans = s.owners_seq};
  std::fprintf(stderr, "%s (replayed from %s)\n", trace_summary_text(summary).c_str(), options.read.c_str());
  if (s.loss.writer_dropped)
    std::fprintf(stderr, "tcpsight: the recorder could not write %llu events in time: they are not in the file\n",
                 static_cast<unsigned long long>(s.loss.writer_dropped));
  const std::string damage = recording::damage_summary(replay.reader());
  if (damage.empty()) return 0;
  std::fprintf(stderr, "tcpsight: %s: %s\n", options.read.c_str(), damage.c_str());
  return 1;
}

int run_trace(const TraceOptions& options) {
  if (!options.read.empty()) return run_replayed_trace(options);
  check_bpf_prerequisites();
  const NamespaceChoice& choice = options.namespaces;
  // Tracing another namespace needs no setns (the programs see every namespace), but naming them
  // reads other processes' /proc entries: the same privilege is asked for both.
  if (choice.chosen()) check_namespace_prerequisites(choice.option());
  const EventFilter filter = options.filter();
  const uint32_t netns = choice.all ? 0 : choice.one ? choice.one->inode : current_netns_inode();
  NamespaceDirectory names;
  // Per-socket storage: each state event's time in the state it leaves, and each close's lifetime.
  // The kernel streams only what the filter can keep; the filter below judges again, --pid too.
  Tracer tracer({.netns = netns,
                 .stream_kinds = TS_STREAM_ALL,
                 .track_sockets = true,
                 .filter = kernel_stream_filter(filter)});
  OwnerAttribution owners({.self_tgid = static_cast<uint32_t>(getpid())});
  OwnedEventStream stream(netns, owners);
  // Loaded and attached: the ring buffer, the counters and the owner iterator are fds from here on
  // (kernel/privileges.hpp). Naming namespaces (-A, --netns) still reads other users' /proc/PID/ns
  // and the container runtimes' state; trace never enters a namespace, so no CAP_SYS_ADMIN.
  drop_privileges({.keep = choice.chosen() ? namespace_naming_capabilities() : std::vector<int>{}, .user = std::nullopt});
  const Clock clock = Clock::now();
  const std::vector<std::string>& reasons = tracepoint_facts().reset_reasons;

  StopAwareOutput out(STDOUT_FILENO);
  const bool fields = !options.fields.empty();
  if (!options.json) out.line(fields ? trace_header(options.fields) : trace_header(choice.chosen()));
  out.flush();
  // The header is no event: what became of it is left out of the summary.
  const uint64_t header_written = out.written(), header_discarded = out.discarded();
  if (netns)
    std::fprintf(stderr, "tcpsight: tracing TCP in network namespace %u; Ctrl-C to end\n", netns);
  else
    std::fprintf(stderr, "tcpsight: tracing TCP in every network namespace; Ctrl-C to end\n");

  // Names are looked up only where a line shows them.
  const bool named = choice.chosen() || std::ranges::find(options.fields, TraceField::name) != options.fields.end();
  EventPrinter printer(options, filter, out, clock, reasons,
                       named ? std::function<std::string(uint32_t)>(
                                   [&](uint32_t inode) { return names.name_of(inode, monotonic_seconds()); })
                             : nullptr);
  const auto print = [&](const OwnedEvent& oe) { printer.print(oe); };
  double drained_s = 0;
  const Tracer::EventSink hold = [&](const ts_event& e) { owners.add(e, drained_s); };

  const double deadline = options.duration_s > 0 ? monotonic_seconds() + options.duration_s : 0;
  while (!stop_requested() && out.ok() && (!deadline || monotonic_seconds() < deadline)) {
    drained_s = monotonic_seconds();
    tracer.poll(100, hold);
    stream.release(false, print);
    out.flush();
  }
  // What was queued before the end: printed while someone reads, else still counted, as filtered
  // out or not written, so that the summary accounts for every record the ring buffer took. With
  // the reader gone no owner scan runs, so --pid judges these by the owners already known.
  drained_s = monotonic_seconds();
  tracer.poll(0, hold, /*last=*/true);
  stream.release(true, print, out.ok());
  out.flush();

  const ts_counters counters = tracer.read_counters();
  const TraceSummary summary{.delivered = out.written() - header_written,
                             .not_written = out.discarded() - header_discarded,
                             .why_not_written = stop_of(out.failure()),
                             .ring_lost = counters.events_lost,
                             .kernel_missed = tracer.missed_events(),
                             .filtered = printer.filtered() + counters.events_filtered,
                             .filtered_in_kernel = counters.events_filtered,
                             .owner_scans = owners.scans()};
  std::fprintf(stderr, "%s\n", trace_summary_text(summary).c_str());
  return 0;
}

// `text` cut into lines of at most `width` characters at spaces, each indented by two.
std::string indented_lines(const std::string& text, size_t width) {
  std::string out, line;
  std::istringstream words(text);
  for (std::string w; words >> w;) {
    if (!line.empty() && line.size() + 1 + w.size() > width - 2) {
      out += "  " + line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + w;
  }
  return out + "  " + line;
}

}  // namespace

Command add_trace_command(CLI::App& parent) {
  auto o = std::make_shared<TraceOptions>();
  CLI::App* cmd = parent.add_subcommand("trace", "one line per TCP state change, retransmit and reset");
  cmd->add_flag("--json", o->json, "one JSON object per line");
  cmd->add_option("--duration", o->duration_s, "stop after this many seconds")
      ->transform(real_in(kMinDuration, kMaxDuration));
  add_event_filter_options(cmd, o->event_filter);
  cmd->add_option("--pid", o->pid, "only sockets this process holds or held (listeners it shares too)")
      ->transform(whole_in(1, kMaxPid));
  // Checked while parsing, so that a bad name is a usage error (exit 2) like any other.
  cmd->add_option_function<std::vector<std::string>>(
         "--fields",
         [o](const std::vector<std::string>& names) {
           std::vector<TraceField> fields;
           for (const std::string& n : names) {
             const auto f = parse_trace_field(n);
             if (!f)
               throw CLI::ValidationError("--fields", "unknown field '" + n + "'; valid fields: " + trace_field_list());
             // A JSON object cannot hold a key twice.
             if (std::ranges::find(fields, *f) != fields.end())
               throw CLI::ValidationError("--fields", "field '" + n + "' given twice");
             fields.push_back(*f);
           }
           o->fields = std::move(fields);
         },
         "only these columns/keys, in this order, comma-separated (the --json keys: time, kind, pid, comm, ...; "
         "see the footer)")
      ->delimiter(',')
      ->type_name("F,F,...");
  add_namespace_options(cmd, o->namespaces);
  cmd->add_option("-r,--read", o->read, "replay this recording (tcpsight record -w) instead of tracing; the filters apply")
      ->type_name("FILE");
  cmd->footer(
      "Examples:\n  tcpsight trace --port 443\n  tcpsight trace --state SYN_SENT --json --duration 10\n"
      "  tcpsight trace --state time-wait   (active closes that leave a TIME_WAIT socket)\n"
      "  tcpsight trace -A --port 5432      (every container's connections to port 5432)\n"
      "PID and COMM are the process holding the socket: the one whose connect, listen, close or\n"
      "shutdown made the event, else the holder of the socket's file at an owner scan (events wait\n"
      "up to 0.5 s for one); '-' when nobody holds it (TIME_WAIT, orphaned sockets). PID+N: N more\n"
      "processes hold it too, e.g. the children of a pre-fork server sharing its listener; JSON\n"
      "\"holders\" counts them all.\n"
      "--fields F,F,...: only these, in this order, for text and --json. Fields (the --json keys):\n" +
      indented_lines(trace_field_list() + ".", 96) +
      "\n'-' in text is null in JSON: the field does not apply to the event's kind, or is unknown\n"
      "(README.md, \"trace output\", says what each means). Without --fields the lines stay as they\n"
      "are, and JSON lines leave out the keys that do not apply.\n"
      "At the end, stderr gets what was delivered, what was lost (not written to a reader that went\n"
      "away or stalled past a stop, dropped by the ring buffer, missed by the kernel) and how many\n"
      "events the filters left out (--port, --addr and --state in the kernel, before the ring buffer;\n"
      "--pid in tcpsight, once owners are known).");
  return {cmd, [o] { return run_trace(*o); }};
}

}  // namespace tcpsight
