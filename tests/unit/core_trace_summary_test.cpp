// The line trace ends with: every figure where it belongs, lost as the sum of its parts.
#include <gtest/gtest.h>

#include "core/trace_summary.hpp"

namespace tcpsight {
namespace {

TEST(TraceSummary, ReaderGoneSaysWhereEachEventWent) {
  const TraceSummary s{.delivered = 503,
                       .not_written = 20811,
                       .why_not_written = TraceSummary::Stop::reader_gone,
                       .ring_lost = 581,
                       .kernel_missed = 0,
                       .filtered = 120,
                       .filtered_in_kernel = 118,
                       .owner_scans = 3};
  EXPECT_EQ(s.lost(), 21392u);
  EXPECT_EQ(trace_summary_text(s),
            "tcpsight: 503 events delivered; lost 21392: 20811 not written (reader gone), 581 dropped by the ring "
            "buffer, 0 missed by the kernel; 120 filtered out (118 in the kernel); 3 owner scans");
}

TEST(TraceSummary, KernelMissesAreLostToo) {
  const TraceSummary s{.delivered = 10, .ring_lost = 2, .kernel_missed = 5};
  EXPECT_EQ(s.lost(), 7u);
  EXPECT_EQ(trace_summary_text(s),
            "tcpsight: 10 events delivered; lost 7: 0 not written, 2 dropped by the ring buffer, 5 missed by the "
            "kernel; 0 filtered out (0 in the kernel); 0 owner scans");
}

TEST(TraceSummary, AStopGivesItsReasonOnlyWhenSomethingWasNotWritten) {
  TraceSummary s{.delivered = 4, .why_not_written = TraceSummary::Stop::stopped};
  EXPECT_EQ(trace_summary_text(s).find("stopped"), std::string::npos)
      << "everything was written before the stop: " << trace_summary_text(s);
  s.not_written = 9;
  EXPECT_NE(trace_summary_text(s).find("9 not written (stopped while writing to a stalled reader)"), std::string::npos)
      << trace_summary_text(s);
}

}  // namespace
}  // namespace tcpsight
