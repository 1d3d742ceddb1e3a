#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <sstream>
#include <vector>

#include "cli/commands.hpp"
#include "cli/namespace_option.hpp"
#include "cli/number_option.hpp"
#include "cli/signals.hpp"
#include "cli/stop_aware_output.hpp"
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

namespace tcpsight {

namespace {

struct TraceOptions {
  bool json = false;
  double duration_s = 0;  // 0: until interrupted
  std::vector<uint16_t> ports;
  std::string addr;
  std::optional<uint32_t> pid;
  std::vector<std::string> states;
  NamespaceChoice namespaces;
  std::vector<TraceField> fields;  // --fields; empty: the full line

  EventFilter filter() const {
    EventFilter f;
    f.ports = ports;
    if (!addr.empty()) f.addr = parse_address(addr);
    f.pid = pid;
    for (const auto& s : states) f.states.push_back(*parse_state(s));  // validated by the parser
    return f;
  }
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

int run_trace(const TraceOptions& options) {
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
  drop_privileges({.keep = choice.chosen() ? namespace_naming_capabilities() : std::vector<int>{}});
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
  uint64_t filtered = 0;
  fmt::memory_buffer line;  // every line is written here: no allocation per event
  const auto print = [&](const OwnedEvent& oe) {
    if (!filter.matches(oe.event, oe.owner)) {
      ++filtered;
      return;
    }
    if (!out.ok()) {  // nobody to read it: counted, not formatted
      out.skip();
      return;
    }
    std::string name;
    if (named) name = names.name_of(oe.event.netns, monotonic_seconds());
    line.clear();
    append_line(line, options, oe, clock, reasons, named ? &name : nullptr);
    out.line(std::string_view(line.data(), line.size()));
  };
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
  tracer.poll(0, hold);
  stream.release(true, print, out.ok());
  out.flush();

  const ts_counters counters = tracer.read_counters();
  const TraceSummary summary{.delivered = out.written() - header_written,
                             .not_written = out.discarded() - header_discarded,
                             .why_not_written = stop_of(out.failure()),
                             .ring_lost = counters.events_lost,
                             .kernel_missed = tracer.missed_events(),
                             .filtered = filtered + counters.events_filtered,
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
  cmd->add_option("--port", o->ports, "only events with this local or remote port (repeatable)")
      ->transform(whole_in(1, 65535));
  cmd->add_option("--addr", o->addr, "only events with this local or remote address")
      ->check([](const std::string& s) { return parse_address(s) ? std::string() : "not an IP address: " + s; });
  cmd->add_option("--pid", o->pid, "only sockets this process holds or held (listeners it shares too)")
      ->transform(whole_in(1, kMaxPid));
  cmd->add_option("--state", o->states,
                  "only events entering or leaving this state, e.g. SYN_SENT, time-wait (repeatable; TIME_WAIT: "
                  "the closes that hand the connection to a timewait socket, as no event enters it)")
      ->check([](const std::string& s) { return parse_state(s) ? std::string() : "unknown TCP state: " + s; });
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
