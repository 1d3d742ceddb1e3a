// The rows of the "top flows" table: the view's sort and port filter applied to the model's flows.
#pragma once

#include <optional>
#include <vector>

#include "top/search_filter.hpp"
#include "top/top_frame.hpp"
#include "top/view_state.hpp"

namespace tcpsight {

// The flows `filter` matches, ordered by `sort`: those with trouble in the last interval first.
std::vector<FlowRow> select_flows(const std::vector<FlowRow>& flows, FlowSort sort, const SearchFilter& filter);

}  // namespace tcpsight
