#include <gtest/gtest.h>

#include "core/kernel_release.hpp"

namespace tcpsight {
namespace {

TEST(KernelRelease, ParsesDebianAndUpstreamReleases) {
  EXPECT_EQ(parse_kernel_release("6.1.0-57-amd64"), (KernelVersion{6, 1}));
  EXPECT_EQ(parse_kernel_release("6.12.117+deb12-amd64"), (KernelVersion{6, 12}));
  EXPECT_EQ(parse_kernel_release("6.18.44-fc-v769"), (KernelVersion{6, 18}));
  EXPECT_FALSE(parse_kernel_release("").has_value());
  EXPECT_FALSE(parse_kernel_release("linux").has_value());
  EXPECT_FALSE(parse_kernel_release("6").has_value());
}

TEST(KernelRelease, OrdersVersionsByMajorThenMinor) {
  EXPECT_LT((KernelVersion{5, 19}), kOldestKernel);
  EXPECT_LT((KernelVersion{6, 9}), (KernelVersion{6, 10}));
  EXPECT_GE((KernelVersion{6, 1}), kOldestKernel);
}

TEST(KernelHz, ReadsConfigHzFromAKernelConfig) {
  EXPECT_EQ(hz_from_config("CONFIG_HZ_250=y\nCONFIG_HZ=250\nCONFIG_SCHED_HRTICK=y\n"), 250u);
  EXPECT_EQ(hz_from_config("# CONFIG_HZ_PERIODIC is not set\nCONFIG_HZ=1000"), 1000u);
  EXPECT_FALSE(hz_from_config("CONFIG_HZ_250=y\n").has_value());
  EXPECT_FALSE(hz_from_config("").has_value());
}

TEST(KernelHz, EstimatesHzFromJiffiesAndUptime) {
  // jiffies_64 starts 300 s worth of ticks before 2^32 (INITIAL_JIFFIES).
  const auto jiffies_at = [](double uptime_s, unsigned hz) {
    return static_cast<uint64_t>(4294967296.0 + (uptime_s - 300.0) * hz);
  };
  for (unsigned hz : {100u, 250u, 300u, 1000u}) {
    EXPECT_EQ(hz_from_jiffies(jiffies_at(923.11, hz), 923.11), hz);   // read off this machine: 250
    EXPECT_EQ(hz_from_jiffies(jiffies_at(12.5, hz), 12.5), hz);       // early after boot: jiffies < 2^32
    EXPECT_EQ(hz_from_jiffies(jiffies_at(86400, hz) + 3, 86400), hz); // a few ticks of skew
  }
  // Right at 300 s of uptime jiffies say nothing about HZ.
  EXPECT_FALSE(hz_from_jiffies(jiffies_at(301, 250), 301).has_value());
  // A rate no Kconfig choice gives.
  EXPECT_FALSE(hz_from_jiffies(jiffies_at(1000, 500), 1000).has_value());
}

}  // namespace
}  // namespace tcpsight
