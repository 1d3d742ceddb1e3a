// Numbers in the terminal view: short, with the unit a person expects.
#include <gtest/gtest.h>

#include "top/human_units.hpp"

namespace tcpsight {
namespace {

TEST(HumanUnits, CountsBelowAThousandAreExact) {
  EXPECT_EQ(human_count(0), "0");
  EXPECT_EQ(human_count(7), "7");
  EXPECT_EQ(human_count(950), "950");
  EXPECT_EQ(human_count(999), "999");
  EXPECT_EQ(human_count(2.5), "2.5");
}

TEST(HumanUnits, LargeCountsGetASuffix) {
  EXPECT_EQ(human_count(1000), "1.0k");
  EXPECT_EQ(human_count(1234), "1.2k");
  EXPECT_EQ(human_count(34000), "34k");
  EXPECT_EQ(human_count(5'600'000), "5.6M");
  EXPECT_EQ(human_count(7.2e9), "7.2G");
  EXPECT_EQ(human_count(3e12), "3.0T");
  EXPECT_EQ(human_count(-1500), "-1.5k");
}

TEST(HumanUnits, RoundingNeverShowsAThousandOfAUnit) {
  EXPECT_EQ(human_count(999'999), "1.0M");
  EXPECT_EQ(human_count(999'600), "1.0M");
  EXPECT_EQ(human_count(9'999), "10k");
  EXPECT_EQ(human_count(999.96), "1.0k");
}

TEST(HumanUnits, Rates) {
  EXPECT_EQ(human_rate(0), "0/s");
  EXPECT_EQ(human_rate(12), "12/s");
  EXPECT_EQ(human_rate(1200), "1.2k/s");
  EXPECT_EQ(human_rate(0.5), "0.5/s");
}

TEST(HumanUnits, Durations) {
  EXPECT_EQ(human_duration(0.000250), "250 us");
  EXPECT_EQ(human_duration(0.012), "12 ms");
  EXPECT_EQ(human_duration(3.4), "3.4 s");
  EXPECT_EQ(human_duration(60), "60.0 s");
  EXPECT_EQ(human_duration(300), "5 min");
  EXPECT_EQ(human_duration(7200), "2.0 h");
  EXPECT_EQ(human_duration(0), "0 us");
}

TEST(HumanUnits, DurationRoundingNeverShowsAThousandOfAUnit) {
  EXPECT_EQ(human_duration(0.9996), "1.0 s");
  EXPECT_EQ(human_duration(0.0009996), "1 ms");
}

}  // namespace
}  // namespace tcpsight
