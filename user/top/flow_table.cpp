#include "top/flow_table.hpp"

#include <algorithm>
#include <tuple>

namespace tcpsight {

std::vector<FlowRow> select_flows(const std::vector<FlowRow>& flows, FlowSort sort, std::optional<uint16_t> port) {
  std::vector<FlowRow> out;
  for (const FlowRow& f : flows)
    if (!port || f.local_port == *port || f.remote_port == *port) out.push_back(f);

  const auto by = [sort](const FlowRow& a, const FlowRow& b) {
    switch (sort) {
      case FlowSort::Retransmits:
        return std::tuple(b.retransmits, b.resets, b.last_ns) < std::tuple(a.retransmits, a.resets, a.last_ns);
      case FlowSort::Resets:
        return std::tuple(b.resets, b.retransmits, b.last_ns) < std::tuple(a.resets, a.retransmits, a.last_ns);
      case FlowSort::Recent:
        return b.last_ns < a.last_ns;
      case FlowSort::Remote:
        return std::tie(a.remote, a.remote_port, a.local, a.local_port) <
               std::tie(b.remote, b.remote_port, b.local, b.local_port);
    }
    return false;
  };
  std::stable_sort(out.begin(), out.end(), by);
  return out;
}

}  // namespace tcpsight
