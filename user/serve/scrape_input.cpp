#include "serve/scrape_input.hpp"

#include <utility>

namespace tcpsight {

uint64_t ScrapeInput::listener_series_dropped() const {
  uint64_t n = listeners.dropped;
  for (const LabelledNamespace& ns : namespaces) n += ns.figures.listeners.dropped;
  return n;
}

uint64_t ScrapeInput::destination_series_dropped() const {
  uint64_t n = destinations.dropped;
  for (const LabelledNamespace& ns : namespaces) n += ns.figures.destinations.dropped;
  return n;
}

void reduce_snapshot(NamespaceFigures& into, std::span<const ts_sock_record> snapshot) {
  into.sockets = SocketTally::from_records(snapshot);
  into.destinations = into.limits.port_range ? ephemeral_ports_by_destination(snapshot, *into.limits.port_range)
                                             : std::vector<DestinationPorts>{};
}

NamespaceScrape scrape_namespace(NamespaceFigures figures, const SeriesCaps& caps) {
  NamespaceScrape out;
  out.counters = figures.counters;
  out.listeners = select_listener_series(figures.sockets.listeners, caps.listeners);
  out.sockets = std::move(figures.sockets);
  if (figures.limits.port_range) out.destinations = select_destination_series(figures.destinations, caps.destinations);
  out.kernel = std::move(figures.kernel);
  out.limits = figures.limits;
  out.snapshot_age_seconds = figures.snapshot_age_seconds;
  return out;
}

ScrapeInput assemble_scrape(const ts_counters& counters, std::span<const ts_sock_record> snapshot,
                            KernelCounters kernel, const SystemLimits& limits, const SeriesCaps& caps) {
  NamespaceFigures figures{.counters = counters, .sockets = {}, .destinations = {}, .kernel = std::move(kernel),
                           .limits = limits, .snapshot_age_seconds = 0};
  reduce_snapshot(figures, snapshot);
  ScrapeInput in;
  static_cast<NamespaceScrape&>(in) = scrape_namespace(std::move(figures), caps);
  return in;
}

}  // namespace tcpsight
