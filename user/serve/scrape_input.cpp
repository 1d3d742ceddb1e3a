#include "serve/scrape_input.hpp"

#include <utility>

namespace tcpsight {

ScrapeInput assemble_scrape(const ts_counters& counters, std::span<const ts_sock_record> snapshot,
                            KernelCounters kernel, const SystemLimits& limits, const SeriesCaps& caps) {
  ScrapeInput in;
  in.counters = counters;
  in.sockets = SocketTally::from_records(snapshot);
  in.listeners = select_listener_series(in.sockets.listeners, caps.listeners);
  if (limits.port_range)
    in.destinations =
        select_destination_series(ephemeral_ports_by_destination(snapshot, *limits.port_range), caps.destinations);
  in.kernel = std::move(kernel);
  in.limits = limits;
  return in;
}

}  // namespace tcpsight
