// tcpsight: TCP connection states, exactly, from the kernel's tracepoints and socket iterator.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <string>

#include "cli/commands.hpp"
#include "cli/signals.hpp"
#include "core/errors.hpp"
#include "core/tcp_state.hpp"
#include "kernel/libbpf_log.hpp"

namespace {

using namespace tcpsight;

// Turns --addr/--state text into filter values; CLI11 reports a failure as a usage error.
void add_trace_filters(CLI::App& cmd, TraceOptions& o, std::string& addr_text, std::vector<std::string>& states) {
  cmd.add_option("--port", o.filter.ports, "only events with this local or remote port (repeatable)")
      ->check(CLI::Range(1, 65535));
  cmd.add_option("--addr", addr_text, "only events with this local or remote address")
      ->check([](const std::string& s) { return parse_address(s) ? std::string() : "not an IP address: " + s; });
  cmd.add_option("--pid", o.filter.pid, "only sockets owned by this process (connect/listen caller)");
  cmd.add_option("--state", states, "only events entering or leaving this state, e.g. SYN_SENT, time-wait (repeatable)")
      ->check([](const std::string& s) { return parse_state(s) ? std::string() : "unknown TCP state: " + s; });
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tcpsight: exact TCP connection-state monitoring with eBPF"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "tcpsight 0.1.0");
  bool verbose = false;
  app.add_flag("-v,--verbose", verbose, "print libbpf's messages");

  TraceOptions trace;
  std::string trace_addr;
  std::vector<std::string> trace_states;
  auto* trace_cmd = app.add_subcommand("trace", "one line per TCP state change, retransmit and reset");
  trace_cmd->add_flag("--json", trace.json, "one JSON object per line");
  trace_cmd->add_option("--duration", trace.duration_s, "stop after this many seconds")->check(CLI::PositiveNumber);
  add_trace_filters(*trace_cmd, trace, trace_addr, trace_states);
  trace_cmd->footer(
      "Examples:\n  tcpsight trace --port 443\n  tcpsight trace --state SYN_SENT --json --duration 10\n"
      "PID and COMM are the socket's owner (the process that called connect or listen); '-' when unknown.");

  StatsOptions stats;
  auto* stats_cmd = app.add_subcommand("stats", "socket counts, transitions, retransmits, resets per interval");
  stats_cmd->add_flag("--json", stats.json, "one JSON object per line");
  stats_cmd->add_option("--interval", stats.interval_s, "seconds between reports (default 1)")
      ->check(CLI::Range(0.05, 86400.0));
  stats_cmd->add_option("--count", stats.count, "stop after this many reports (1: one snapshot)")
      ->check(CLI::PositiveNumber);
  stats_cmd->add_option("--duration", stats.duration_s, "stop after this many seconds")->check(CLI::PositiveNumber);
  stats_cmd->footer("Examples:\n  tcpsight stats --count 1\n  tcpsight stats --json --interval 5");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "tcpsight: %s\nusage: tcpsight [--verbose] {trace|stats} [OPTIONS]; see tcpsight --help\n",
                 e.what());
    return 2;
  }

  try {
    install_libbpf_log(verbose);
    install_stop_signals();
    if (*trace_cmd) {
      if (!trace_addr.empty()) trace.filter.addr = parse_address(trace_addr);
      for (const auto& s : trace_states) trace.filter.states.push_back(*parse_state(s));
      return run_trace(trace);
    }
    if (*stats_cmd) return run_stats(stats);
  } catch (const UserError& e) {
    std::fprintf(stderr, "tcpsight: %s\n", e.what());
    if (!e.hint().empty()) std::fprintf(stderr, "hint: %s\n", e.hint().c_str());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tcpsight: unexpected failure: %s\n", e.what());
    return 1;
  }
  return 2;
}
