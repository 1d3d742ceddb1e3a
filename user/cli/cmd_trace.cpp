#include <fmt/format.h>

#include <cstdio>
#include <vector>

#include "cli/commands.hpp"
#include "cli/signals.hpp"
#include "core/event_format.hpp"
#include "kernel/netns.hpp"
#include "kernel/prerequisites.hpp"
#include "kernel/tracer.hpp"

namespace tcpsight {

int run_trace(const TraceOptions& options) {
  check_bpf_prerequisites();
  const uint32_t netns = current_netns_inode();
  Tracer tracer({.netns = netns, .stream_kinds = TS_STREAM_ALL});
  const Clock clock = Clock::now();

  static std::vector<char> out_buffer(1u << 20);
  std::setvbuf(stdout, out_buffer.data(), _IOFBF, out_buffer.size());
  if (!options.json) std::puts(trace_header().c_str());
  std::fflush(stdout);
  std::fprintf(stderr, "tcpsight: tracing TCP in network namespace %u; Ctrl-C to end\n", netns);

  uint64_t shown = 0;
  bool output_ok = true;
  const Tracer::EventSink print = [&](const ts_event& e) {
    if (!output_ok || !options.filter.matches(e)) return;
    const std::string line = options.json ? trace_json(e, clock).dump() : format_trace_line(e, clock);
    if (std::fputs(line.c_str(), stdout) < 0 || std::fputc('\n', stdout) == EOF) output_ok = false;
    ++shown;
  };

  const double deadline = options.duration_s > 0 ? monotonic_seconds() + options.duration_s : 0;
  while (!stop_requested() && output_ok && (!deadline || monotonic_seconds() < deadline)) {
    tracer.poll(100, print);
    if (std::fflush(stdout) != 0) output_ok = false;
  }
  tracer.poll(0, print);  // what was queued before the end
  std::fflush(stdout);

  const ts_counters totals = tracer.read_counters();
  std::fprintf(stderr, "tcpsight: %llu events shown, %llu lost\n", static_cast<unsigned long long>(shown),
               static_cast<unsigned long long>(totals.events_lost));
  return 0;
}

}  // namespace tcpsight
