// The line `trace` prints on stderr at its end: what reached the reader and what did not, wherever
// it was lost, so that "N delivered" never hides events dropped behind a slow reader.
#pragma once

#include <cstdint>
#include <string>

namespace tcpsight {

struct TraceSummary {
  enum class Stop { none, reader_gone, stopped };
  uint64_t delivered = 0;    // lines the output took whole (the header not counted)
  uint64_t not_written = 0;  // events that passed the filters but whose lines were not written whole
  Stop why_not_written = Stop::none;
  uint64_t ring_lost = 0;      // records the ring buffer had no room for (ts_counters.events_lost)
  uint64_t kernel_missed = 0;  // tracepoint runs the kernel skipped (recursion guard)
  uint64_t filtered = 0;       // events --port/--addr/--pid/--state left out: not lost
  uint64_t filtered_in_kernel = 0;  // of `filtered`: left out before the ring buffer (ts_counters.events_filtered)
  uint64_t owner_scans = 0;

  uint64_t lost() const { return not_written + ring_lost + kernel_missed; }
};

// "tcpsight: 503 events delivered; lost 21392: 20811 not written (reader gone), 581 dropped by the
// ring buffer, 0 missed by the kernel; 120 filtered out (118 in the kernel); 3 owner scans" (no newline).
std::string trace_summary_text(const TraceSummary& s);

}  // namespace tcpsight
