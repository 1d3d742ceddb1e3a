// The subcommands: each takes its parsed options and returns the process exit status.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/event_filter.hpp"

namespace tcpsight {

struct CommonOptions {
  bool verbose = false;  // print libbpf's messages
};

struct TraceOptions {
  bool json = false;
  EventFilter filter;
  double duration_s = 0;  // 0: until interrupted
};

struct StatsOptions {
  bool json = false;
  double interval_s = 1;
  uint64_t count = 0;     // 0: until interrupted or --duration
  double duration_s = 0;  // 0: until interrupted or --count
};

int run_trace(const TraceOptions& options);
int run_stats(const StatsOptions& options);

}  // namespace tcpsight
