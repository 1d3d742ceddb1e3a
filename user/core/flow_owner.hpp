// The owner `top` shows for a troubled flow (retransmits, resets): the process holding the socket
// at the latest owner scan; the owner an event of the flow named, while no scan has run since that
// event; else unknown. A flow whose socket no scan after its last event found is held by nobody.
#pragma once

#include <span>

#include "core/aggregator.hpp"
#include "core/owner.hpp"
#include "core/owner_index.hpp"

namespace tcpsight {

Owner flow_owner(const FlowTrouble& flow, const OwnerIndex& owners);

// Whether a new scan would tell more: some flow has no owner and had an event since the last
// scan (or no scan has run yet).
bool flows_want_owner_scan(std::span<const FlowTrouble> flows, const OwnerIndex& owners);

}  // namespace tcpsight
