// The periodic summary of `tcpsight stats`: JSON for scripts (design.md §4), text for people.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/aggregator.hpp"

namespace tcpsight {

nlohmann::json stats_json(const Aggregator& agg, double wall_time_s);
std::string stats_text(const Aggregator& agg, double wall_time_s);

}  // namespace tcpsight
