#include <gtest/gtest.h>

#include <vector>

#include "core/owner.hpp"
#include "core/owner_index.hpp"
#include "core_test_input.hpp"

namespace tcpsight {
namespace {

using test::owner_record;

TEST(OwnerIndex, ListsEachProcessOnceLowestFirst) {
  // A pre-fork listener (cookie 1) held by the parent and two children, one of which holds it
  // twice (dup); an accepted socket (cookie 2) held by one child.
  const std::vector<ts_owner_record> records{
      owner_record(1, 300, "child", 3), owner_record(2, 300, "child", 4), owner_record(1, 100, "parent", 3),
      owner_record(1, 200, "child", 3), owner_record(1, 300, "child", 9)};
  const OwnerIndex index(records, 5.0);
  EXPECT_TRUE(index.taken());
  EXPECT_DOUBLE_EQ(index.scanned_s(), 5.0);
  EXPECT_EQ(index.sockets(), 2u);

  const auto listener = index.holders(1);
  ASSERT_EQ(listener.size(), 3u);
  EXPECT_EQ(listener[0].tgid, 100u);
  EXPECT_EQ(comm_text(listener[0].comm), "parent");
  EXPECT_EQ(listener[1].tgid, 200u);
  EXPECT_EQ(listener[2].tgid, 300u);
  ASSERT_EQ(index.holders(2).size(), 1u);
  EXPECT_EQ(index.holders(2)[0].tgid, 300u);
}

TEST(OwnerIndex, HasNoHoldersForASocketNobodyHolds) {
  const std::vector<ts_owner_record> records{owner_record(5, 10, "a")};
  const OwnerIndex index(records, 1.0);
  EXPECT_TRUE(index.holders(4).empty());
  EXPECT_TRUE(index.holders(6).empty());
  EXPECT_FALSE(OwnerIndex().taken());
  EXPECT_TRUE(OwnerIndex().holders(5).empty());
}

TEST(OwnerIndex, CommWithoutTerminatorIsSixteenBytes) {
  const char full[16] = {'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p'};
  EXPECT_EQ(comm_text(full), "abcdefghijklmnop");
}

TEST(Owner, HeldByTheOwnerShownOrAnyHolder) {
  Owner o;
  EXPECT_FALSE(o.held_by(0));
  o.source = OwnerSource::scan;
  o.tgid = 100;
  o.holders = {100, 200, 300};
  EXPECT_TRUE(o.held_by(100));
  EXPECT_TRUE(o.held_by(300));
  EXPECT_FALSE(o.held_by(150));
  EXPECT_EQ(o.other_holders(), 2u);

  Owner named;  // named by an event; the last scan saw other holders too
  named.source = OwnerSource::event;
  named.tgid = 50;
  named.holders = {60};
  EXPECT_TRUE(named.held_by(50));
  EXPECT_TRUE(named.held_by(60));
  EXPECT_EQ(named.other_holders(), 1u);
}

}  // namespace
}  // namespace tcpsight
