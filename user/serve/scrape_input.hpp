// Everything one scrape shows, gathered at once: the kernel's exact counters, one socket
// snapshot reduced to what is exported, the kernel's own SNMP counters, the port range and the
// TIME_WAIT limit.
#pragma once

#include <span>
#include <string>

#include "core/netstat_parse.hpp"
#include "core/system_limits.hpp"
#include "serve/destination_series.hpp"
#include "serve/listener_series.hpp"
#include "serve/socket_tally.hpp"
#include "tcpsight/abi.h"

namespace tcpsight {

struct BuildInfo {
  std::string version;
  std::string kernel;  // uname release
};

// How many endpoints get series of their own (serve --max-listeners, --max-destinations).
struct SeriesCaps {
  size_t listeners = 100;
  size_t destinations = 20;
};

struct ScrapeInput {
  ts_counters counters{};
  SocketTally sockets;
  ListenerSeries listeners;
  DestinationSeries destinations;  // client-side ephemeral port use; empty when the port range is unknown
  KernelCounters kernel;
  SystemLimits limits;
  BuildInfo build;
  bool histograms = true;  // false: serve --no-histograms (no per-socket storage, no timing)
  // About the exporter itself.
  double gather_seconds = 0;                   // how long gathering this input took
  double snapshot_age_seconds = 0;             // age of the snapshot behind `sockets` (paced)
  uint64_t gathers_total = 0;                  // gatherings since start (scrapes may share one)
  uint64_t listener_series_dropped_total = 0;     // endpoints the label cap left out, summed over gatherings
  uint64_t destination_series_dropped_total = 0;  // the same for destinations
  uint64_t events_missed_total = 0;            // tracepoint runs the kernel skipped (recursion guard)
};

// The pure part of gathering: reduces a snapshot and applies the label caps.
ScrapeInput assemble_scrape(const ts_counters& counters, std::span<const ts_sock_record> snapshot,
                            KernelCounters kernel, const SystemLimits& limits, const SeriesCaps& caps);

}  // namespace tcpsight
