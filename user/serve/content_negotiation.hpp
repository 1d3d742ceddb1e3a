// Which exposition format a scraper asked for in its Accept header.
#pragma once

#include <string_view>

#include "serve/exposition.hpp"

namespace tcpsight {

// OpenMetrics when the header accepts application/openmetrics-text at least as much as the text
// format (text/plain, text/*, */*), else the Prometheus text format (also without a header).
ExpositionFormat choose_format(std::string_view accept);

}  // namespace tcpsight
