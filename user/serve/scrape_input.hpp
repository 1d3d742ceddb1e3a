// Everything one scrape shows, gathered at once: the kernel's exact counters, one socket
// snapshot reduced to what is exported, the kernel's own SNMP counters and TIME_WAIT limits.
#pragma once

#include <span>
#include <string>

#include "core/netstat_parse.hpp"
#include "serve/listener_series.hpp"
#include "serve/socket_tally.hpp"
#include "serve/system_limits.hpp"
#include "tcpsight/abi.h"

namespace tcpsight {

struct BuildInfo {
  std::string version;
  std::string kernel;  // uname release
};

struct ScrapeInput {
  ts_counters counters{};
  SocketTally sockets;
  ListenerSeries listeners;
  KernelCounters kernel;
  SystemLimits limits;
  BuildInfo build;
  bool histograms = true;  // false: serve --no-histograms (no per-socket storage, no timing)
  // About the exporter itself.
  double gather_seconds = 0;                   // how long gathering this input took
  double snapshot_age_seconds = 0;             // age of the snapshot behind `sockets` (paced)
  uint64_t gathers_total = 0;                  // gatherings since start (scrapes may share one)
  uint64_t listener_series_dropped_total = 0;  // endpoints the label cap left out, summed over gatherings
  uint64_t events_missed_total = 0;            // tracepoint runs the kernel skipped (recursion guard)
};

// The pure part of gathering: reduces a snapshot and sets the listener label cap.
ScrapeInput assemble_scrape(const ts_counters& counters, std::span<const ts_sock_record> snapshot,
                            KernelCounters kernel, const SystemLimits& limits, size_t listener_cap);

}  // namespace tcpsight
