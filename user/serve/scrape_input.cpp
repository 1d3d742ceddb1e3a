#include "serve/scrape_input.hpp"

#include <utility>

namespace tcpsight {

ScrapeInput assemble_scrape(const ts_counters& counters, std::span<const ts_sock_record> snapshot,
                            KernelCounters kernel, const SystemLimits& limits, size_t listener_cap) {
  ScrapeInput in;
  in.counters = counters;
  in.sockets = SocketTally::from_records(snapshot);
  in.listeners = select_listener_series(in.sockets.listeners, listener_cap);
  in.kernel = std::move(kernel);
  in.limits = limits;
  return in;
}

}  // namespace tcpsight
