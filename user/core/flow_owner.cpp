#include "core/flow_owner.hpp"

#include <algorithm>

namespace tcpsight {

namespace {

// Whether the scan started after the flow's last event: then it knows who holds the socket now.
bool scanned_since(const FlowTrouble& flow, const OwnerIndex& owners) {
  return owners.taken() && owners.scanned_s() * 1e9 >= static_cast<double>(flow.last_ns);
}

}  // namespace

Owner flow_owner(const FlowTrouble& flow, const OwnerIndex& owners) {
  Owner o;
  if (const auto holders = owners.holders(flow.cookie); !holders.empty()) {
    o.source = OwnerSource::scan;
    o.tgid = holders.front().tgid;
    o.comm = comm_text(holders.front().comm);
    for (const auto& h : holders) o.holders.push_back(h.tgid);
  } else if (flow.tgid && !scanned_since(flow, owners)) {
    o.source = OwnerSource::event;
    o.tgid = flow.tgid;
    o.comm = flow.comm;
  }
  return o;
}

bool flows_want_owner_scan(std::span<const FlowTrouble> flows, const OwnerIndex& owners) {
  return std::any_of(flows.begin(), flows.end(), [&](const FlowTrouble& f) {
    return !flow_owner(f, owners).known() && !scanned_since(f, owners);
  });
}

}  // namespace tcpsight
