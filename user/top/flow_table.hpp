// The rows of the "top flows" table: the view's sort and port filter applied to the model's flows.
#pragma once

#include <optional>
#include <vector>

#include "top/top_frame.hpp"
#include "top/view_state.hpp"

namespace tcpsight {

// Flows with `port` as local or remote port (all when nullopt), ordered by `sort`.
std::vector<FlowRow> select_flows(const std::vector<FlowRow>& flows, FlowSort sort, std::optional<uint16_t> port);

}  // namespace tcpsight
