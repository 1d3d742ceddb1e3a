// What the renderer's unit tests feed it: a snapshot assembled as `serve` gathers one, on a host
// with Linux's default port range and tcp_max_tw_buckets, and the text it renders, parsed.
#pragma once

#include <utility>
#include <vector>

#include "serve/metrics_render.hpp"
#include "serve/scrape_input.hpp"
#include "serve_exposition_parse.hpp"

namespace tcpsight::test {

inline constexpr PortRange kDefaultPortRange{32768, 60999};  // 28,232 ports

inline ScrapeInput input_of(const std::vector<ts_sock_record>& records, const ts_counters& counters = {},
                            KernelCounters kernel = {}, const SeriesCaps& caps = {}) {
  ScrapeInput in = assemble_scrape(counters, records, std::move(kernel), {kDefaultPortRange, 262144}, caps);
  in.build = {"0.1.0", "6.18.0-test"};
  return in;
}

inline ParsedExposition render_text(const ScrapeInput& in) {
  return parse_exposition(render_metrics(in, ExpositionFormat::prometheus_text));
}

}  // namespace tcpsight::test
