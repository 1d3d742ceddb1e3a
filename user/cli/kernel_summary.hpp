// What the running kernel offers, as stats --json reports it under "kernel" and a recording's
// header keeps it (so that stats -r reports the recording kernel's, not the replaying one's).
#pragma once

#include <nlohmann/json.hpp>

namespace tcpsight {

nlohmann::json kernel_summary();

}  // namespace tcpsight
