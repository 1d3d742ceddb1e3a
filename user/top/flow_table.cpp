#include "top/flow_table.hpp"

#include <algorithm>
#include <tuple>

namespace tcpsight {

std::vector<FlowRow> select_flows(const std::vector<FlowRow>& flows, FlowSort sort, const SearchFilter& filter) {
  std::vector<FlowRow> out;
  for (const FlowRow& f : flows)
    if (filter.matches(f.local, f.local_port, f.remote, f.remote_port, f.state, f.tgid, f.comm)) out.push_back(f);

  const auto by = [sort](const FlowRow& a, const FlowRow& b) {
    switch (sort) {
      case FlowSort::Retransmits:  // what is happening now before what happened since start
        return std::tuple(b.retransmits_per_s, b.retransmits, b.resets, b.last_ns) <
               std::tuple(a.retransmits_per_s, a.retransmits, a.resets, a.last_ns);
      case FlowSort::Resets:
        return std::tuple(b.resets_per_s, b.resets, b.retransmits, b.last_ns) <
               std::tuple(a.resets_per_s, a.resets, a.retransmits, a.last_ns);
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
