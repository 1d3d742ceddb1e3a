// serve -A / --netns: the wiring that gathers each network namespace's figures for a scrape. The
// kernel keeps every namespace's exact counters (Tracer netns slots); the NamespaceWatcher enters
// each namespace for its /proc/net counters, its sysctls and (paced) a socket snapshot, which is
// reduced at once to what serve exports; NamespaceTable keeps each namespace until its final
// counts were read; NamespaceSeries applies --max-namespaces.
#pragma once

#include <cstdint>
#include <map>

#include "cli/namespace_option.hpp"
#include "core/namespace_table.hpp"
#include "kernel/namespace_watch.hpp"
#include "kernel/tracer.hpp"
#include "serve/namespace_series.hpp"
#include "serve/scrape_input.hpp"

namespace tcpsight {

struct NamespaceServeOptions {
  SeriesCaps caps;
  size_t max_namespaces = kDefaultMaxNamespaces;
  double snapshot_share = 0;
  bool track_sockets = false;  // per-socket storage: the connection-duration histogram
};

class NamespaceGatherer {
 public:
  // Loads the tracer: construct once serve's port is bound.
  NamespaceGatherer(const NamespaceChoice& choice, const NamespaceServeOptions& options);

  // Every namespace's figures, labelled, and the host-wide counters; not thread-safe (the
  // ScrapeCache serializes gathering).
  ScrapeInput gather();
  const Tracer& tracer() const { return tracer_; }

 private:
  bool all_;
  SeriesCaps caps_;
  Tracer tracer_;
  std::map<uint32_t, NamespaceFigures> reduced_;  // each namespace's latest snapshot, reduced
  NamespaceWatcher watcher_;
  NamespaceTable table_;
  NamespaceSeries series_;
};

}  // namespace tcpsight
