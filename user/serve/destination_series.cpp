#include "serve/destination_series.hpp"

#include <vector>

namespace tcpsight {

DestinationSeries select_destination_series(std::span<const DestinationPorts> ranked, size_t cap) {
  const auto bounded = bound_series(std::vector<DestinationPorts>(ranked.begin(), ranked.end()), cap, DestinationPorts{},
                                    [](DestinationPorts& into, const DestinationPorts& from) {
                                      into.ports_in_use += from.ports_in_use;
                                    });
  DestinationSeries out;
  out.kept.reserve(bounded.kept.size());
  for (const DestinationPorts& d : bounded.kept) out.kept.push_back({format_endpoint(d.addr, d.port), d.ports_in_use});
  if (bounded.other) out.other = DestinationSeriesEntry{kOtherSeriesLabel, bounded.other->ports_in_use};
  out.dropped = bounded.dropped;
  return out;
}

}  // namespace tcpsight
