// The /metrics page: a pure function of one gathered ScrapeInput. Every family has HELP and TYPE,
// values are in base units (seconds), counters end in `_total`, and labels are bounded: states,
// transitions, reset directions, capped listener endpoints and capped destinations; never a
// connection or a client's port. With -A/--netns the per-namespace families add netns and
// container labels (capped namespaces, NamespaceSeries); host-wide ones stay unlabelled.
#pragma once

#include <string>

#include "serve/exposition.hpp"
#include "serve/scrape_input.hpp"

namespace tcpsight {

std::string render_metrics(const ScrapeInput& input, ExpositionFormat format);

// Bucket bounds (seconds) and counts of one of the kernel's log2 µs histograms: slot i holds
// durations below 2^(i+1) µs, so its bound is 2^(i+1) µs; the last slot also holds everything longer.
HistogramData log2_us_histogram(const __u64 (&slots)[TS_HIST_SLOTS]);

}  // namespace tcpsight
