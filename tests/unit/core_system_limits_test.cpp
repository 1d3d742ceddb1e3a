// The sysctl numbers the front ends show, as /proc/sys prints them.
#include <gtest/gtest.h>

#include "core/system_limits.hpp"

namespace tcpsight {
namespace {

TEST(SystemLimits, SysctlNumbers) {
  EXPECT_EQ(parse_sysctl_number("262144\n"), 262144u);
  EXPECT_EQ(parse_sysctl_number(" 7\t\r\n"), 7u);
  EXPECT_FALSE(parse_sysctl_number("x\n"));
  EXPECT_FALSE(parse_sysctl_number("12 13\n"));
  EXPECT_FALSE(parse_sysctl_number(""));
  EXPECT_FALSE(parse_sysctl_number(" \n"));
}

}  // namespace
}  // namespace tcpsight
