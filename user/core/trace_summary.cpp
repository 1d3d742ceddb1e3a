#include "core/trace_summary.hpp"

#include <fmt/format.h>

namespace tcpsight {

namespace {
std::string_view why(TraceSummary::Stop s) {
  switch (s) {
    case TraceSummary::Stop::reader_gone: return " (reader gone)";
    case TraceSummary::Stop::stopped: return " (stopped while writing to a stalled reader)";
    case TraceSummary::Stop::none: break;
  }
  return "";
}
}  // namespace

std::string trace_summary_text(const TraceSummary& s) {
  // The reason only where something was not written: a stop after the last write explains nothing.
  return fmt::format(
      "tcpsight: {} events delivered; lost {}: {} not written{}, {} dropped by the ring buffer, {} missed by the "
      "kernel; {} filtered out ({} in the kernel); {} owner scans",
      s.delivered, s.lost(), s.not_written, s.not_written ? why(s.why_not_written) : "", s.ring_lost,
      s.kernel_missed, s.filtered, s.filtered_in_kernel, s.owner_scans);
}

}  // namespace tcpsight
