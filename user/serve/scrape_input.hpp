// Everything one scrape shows, gathered at once: the kernel's exact counters, one socket
// snapshot reduced to what is exported, the kernel's own SNMP counters, the port range and the
// TIME_WAIT limit; with -A or --netns, all of these for each network namespace shown.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/ephemeral_ports.hpp"
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

// How many endpoints get series of their own (serve --max-listeners, --max-destinations), in each
// network namespace shown.
struct SeriesCaps {
  size_t listeners = 100;
  size_t destinations = 20;
};

// What one network namespace looks like before the label caps: counters, its latest snapshot
// reduced (the records themselves are not kept), its own SNMP counters and sysctls.
struct NamespaceFigures {
  ts_counters counters{};
  SocketTally sockets;
  std::vector<DestinationPorts> destinations;  // ephemeral_ports_by_destination; empty without a port range
  KernelCounters kernel;
  SystemLimits limits;
  double snapshot_age_seconds = 0;
};

// The figures of one namespace as they are exported: label caps applied.
struct NamespaceScrape {
  ts_counters counters{};
  SocketTally sockets;
  ListenerSeries listeners;
  DestinationSeries destinations;  // client-side ephemeral port use; empty when the port range is unknown
  KernelCounters kernel;
  SystemLimits limits;
  double snapshot_age_seconds = 0;  // age of the snapshot behind `sockets` (paced)
};

// A namespace with series of its own, or the sum of those without (netns="other").
struct LabelledNamespace {
  std::string netns;      // its inode, or "other"
  std::string container;  // its name (container, pod, /run/netns name, "host"), or "other"
  NamespaceScrape figures;
};

// serve -A: how many namespaces there are and how they are shown.
struct NamespaceCounts {
  uint64_t seen = 0;      // found at the last scan
  uint64_t shown = 0;     // with series of their own
  uint64_t in_other = 0;  // summed into netns="other"
  uint64_t entered = 0;   // times a namespace was entered and read, since start
  uint64_t failed = 0;    // times one could not be entered
};

// Without -A/--netns the inherited figures are serve's own namespace, written without namespace
// labels (as always). With them, `namespaces` holds the per-namespace figures and of the inherited
// ones only the host-wide counters are used (events lost, histograms).
struct ScrapeInput : NamespaceScrape {
  std::optional<NamespaceCounts> namespace_counts;  // set with -A/--netns
  std::vector<LabelledNamespace> namespaces;
  BuildInfo build;
  bool histograms = true;  // false: serve --no-histograms
  bool durations = false;  // serve --connection-durations (per-socket storage)
  // About the exporter itself.
  double gather_seconds = 0;                   // how long gathering this input took
  uint64_t gathers_total = 0;                  // gatherings since start (scrapes may share one)
  uint64_t listener_series_dropped_total = 0;     // endpoints the label cap left out, summed over gatherings
  uint64_t destination_series_dropped_total = 0;  // the same for destinations
  uint64_t events_missed_total = 0;            // tracepoint runs the kernel skipped (recursion guard)

  // Endpoints the label caps left out of this gathering, over every namespace shown.
  uint64_t listener_series_dropped() const;
  uint64_t destination_series_dropped() const;
};

// The label caps applied to one namespace's figures.
NamespaceScrape scrape_namespace(NamespaceFigures figures, const SeriesCaps& caps);

// The pure part of gathering: reduces a snapshot and applies the label caps.
ScrapeInput assemble_scrape(const ts_counters& counters, std::span<const ts_sock_record> snapshot,
                            KernelCounters kernel, const SystemLimits& limits, const SeriesCaps& caps);

// A namespace's snapshot reduced to what serve keeps of it.
void reduce_snapshot(NamespaceFigures& into, std::span<const ts_sock_record> snapshot);

}  // namespace tcpsight
