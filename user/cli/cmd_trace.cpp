#include <fmt/format.h>

#include <unistd.h>

#include <cstdio>
#include <memory>
#include <vector>

#include "cli/commands.hpp"
#include "cli/signals.hpp"
#include "cli/stop_aware_output.hpp"
#include "core/event_filter.hpp"
#include "core/event_format.hpp"
#include "core/tcp_state.hpp"
#include "kernel/kernel_facts.hpp"
#include "kernel/netns.hpp"
#include "kernel/prerequisites.hpp"
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

  EventFilter filter() const {
    EventFilter f;
    f.ports = ports;
    if (!addr.empty()) f.addr = parse_address(addr);
    f.pid = pid;
    for (const auto& s : states) f.states.push_back(*parse_state(s));  // validated by the parser
    return f;
  }
};

int run_trace(const TraceOptions& options) {
  check_bpf_prerequisites();
  const EventFilter filter = options.filter();
  const uint32_t netns = current_netns_inode();
  Tracer tracer({.netns = netns, .stream_kinds = TS_STREAM_ALL});
  const Clock clock = Clock::now();
  const std::vector<std::string>& reasons = kernel_facts().reset_reasons;

  StopAwareOutput out(STDOUT_FILENO);
  if (!options.json) out.line(trace_header());
  out.flush();
  std::fprintf(stderr, "tcpsight: tracing TCP in network namespace %u; Ctrl-C to end\n", netns);

  uint64_t shown = 0;
  const Tracer::EventSink print = [&](const ts_event& e) {
    if (!out.ok() || !filter.matches(e)) return;
    out.line(options.json ? trace_json(e, clock, reasons) : format_trace_line(e, clock, reasons));
    ++shown;
  };

  const double deadline = options.duration_s > 0 ? monotonic_seconds() + options.duration_s : 0;
  while (!stop_requested() && out.ok() && (!deadline || monotonic_seconds() < deadline)) {
    tracer.poll(100, print);
    out.flush();
  }
  if (out.ok()) {
    tracer.poll(0, print);  // what was queued before the end
    out.flush();
  }

  const ts_counters totals = tracer.read_counters();
  std::fprintf(stderr, "tcpsight: %llu events shown, %llu lost, %llu missed by the kernel\n",
               static_cast<unsigned long long>(shown), static_cast<unsigned long long>(totals.events_lost),
               static_cast<unsigned long long>(tracer.missed_events()));
  return 0;
}

}  // namespace

Command add_trace_command(CLI::App& parent) {
  auto o = std::make_shared<TraceOptions>();
  CLI::App* cmd = parent.add_subcommand("trace", "one line per TCP state change, retransmit and reset");
  cmd->add_flag("--json", o->json, "one JSON object per line");
  cmd->add_option("--duration", o->duration_s, "stop after this many seconds")->check(CLI::PositiveNumber);
  cmd->add_option("--port", o->ports, "only events with this local or remote port (repeatable)")
      ->check(CLI::Range(1, 65535));
  cmd->add_option("--addr", o->addr, "only events with this local or remote address")
      ->check([](const std::string& s) { return parse_address(s) ? std::string() : "not an IP address: " + s; });
  cmd->add_option("--pid", o->pid, "only sockets owned by this process (the connect or listen caller)");
  cmd->add_option("--state", o->states,
                  "only events entering or leaving this state, e.g. SYN_SENT, time-wait (repeatable; TIME_WAIT: "
                  "the closes that hand the connection to a TIME_WAIT socket, as no event enters it)")
      ->check([](const std::string& s) { return parse_state(s) ? std::string() : "unknown TCP state: " + s; });
  cmd->footer(
      "Examples:\n  tcpsight trace --port 443\n  tcpsight trace --state SYN_SENT --json --duration 10\n"
      "  tcpsight trace --state time-wait   (active closes that leave a TIME_WAIT socket)\n"
      "PID and COMM are the socket's owner (the process that called connect or listen, inherited by\n"
      "accepted sockets); '-' when unknown, e.g. for sockets opened before tracing began.");
  return {cmd, [o] { return run_trace(*o); }};
}

}  // namespace tcpsight
