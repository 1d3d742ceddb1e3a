#include "core/snapshot_pacer.hpp"

#include <gtest/gtest.h>

namespace tcpsight {
namespace {

TEST(SnapshotPacer, TheFirstSnapshotIsAlwaysDue) {
  const SnapshotPacer pacer(0.01);
  EXPECT_TRUE(pacer.due(0));
  EXPECT_DOUBLE_EQ(pacer.age(5), 0) << "no snapshot yet: nothing has an age";
}

TEST(SnapshotPacer, ACheapSnapshotIsDueAgainAtTheNextRefresh) {
  SnapshotPacer pacer(0.01);
  pacer.taken(10.0, 10.001);  // 1 ms: paid off after 0.1 s, sooner than a 1 s refresh
  EXPECT_FALSE(pacer.due(10.05));
  EXPECT_TRUE(pacer.due(11.0));
}

TEST(SnapshotPacer, AnExpensiveSnapshotIsSpacedToItsShareOfACore) {
  SnapshotPacer pacer(0.01);
  pacer.taken(100.0, 100.2);  // 200 ms, as on a host with about a million sockets
  EXPECT_FALSE(pacer.due(101.0));
  EXPECT_FALSE(pacer.due(119.9));
  EXPECT_TRUE(pacer.due(120.001)) << "200 ms per 20 s is 1% of a core";
  EXPECT_NEAR(pacer.age(105.2), 5.0, 1e-9) << "age counts from the end of the snapshot";
}

TEST(SnapshotPacer, EachSnapshotResetsTheSpacing) {
  SnapshotPacer pacer(0.01);
  pacer.taken(0, 0.2);
  EXPECT_FALSE(pacer.due(10));
  pacer.taken(20, 20.001);  // the sockets went away: snapshots are cheap again
  EXPECT_TRUE(pacer.due(21));
}

TEST(SnapshotPacer, AClockThatStepsBackDoesNotGiveANegativeAge) {
  SnapshotPacer pacer(0.01);
  pacer.taken(5, 6);
  EXPECT_DOUBLE_EQ(pacer.age(4), 0);
}

}  // namespace
}  // namespace tcpsight
