#include <gtest/gtest.h>

#include <vector>

#include "core/flow_owner.hpp"
#include "core_test_input.hpp"

namespace tcpsight {
namespace {

using test::owner_record;

FlowTrouble flow(uint64_t cookie, uint64_t last_ns, uint32_t named_tgid = 0) {
  FlowTrouble f;
  f.cookie = cookie;
  f.last_ns = last_ns;
  f.retransmits = 1;
  if (named_tgid) {
    f.tgid = named_tgid;
    f.comm = "named";
  }
  return f;
}

TEST(FlowOwner, HolderAtTheLatestScan) {
  const std::vector<ts_owner_record> records{owner_record(5, 30, "b"), owner_record(5, 20, "a")};
  const OwnerIndex scan(records, 1.0);
  const Owner o = flow_owner(flow(5, 2'000'000'000), scan);  // even for an event after the scan
  EXPECT_EQ(o.tgid, 20u);
  EXPECT_EQ(o.comm, "a");
  EXPECT_EQ(o.other_holders(), 1u);
  EXPECT_FALSE(flows_want_owner_scan(std::vector{flow(5, 2'000'000'000)}, scan));
}

TEST(FlowOwner, NobodyHoldsWhatAScanAfterItsLastEventDidNotFind) {
  const OwnerIndex scan(std::vector<ts_owner_record>{}, 2.0);
  const FlowTrouble closed = flow(6, 1'000'000'000, 77);  // an event named 77; the scan came later
  EXPECT_FALSE(flow_owner(closed, scan).known());
  EXPECT_FALSE(flows_want_owner_scan(std::vector{closed}, scan));
}

TEST(FlowOwner, EventsOwnerUntilAScanTells) {
  const FlowTrouble named = flow(6, 3'000'000'000, 77);
  const OwnerIndex old_scan(std::vector<ts_owner_record>{}, 2.0);
  EXPECT_EQ(flow_owner(named, old_scan).tgid, 77u);
  EXPECT_EQ(flow_owner(named, OwnerIndex()).tgid, 77u);
  EXPECT_FALSE(flows_want_owner_scan(std::vector{named}, OwnerIndex()));
}

TEST(FlowOwner, AFlowWithoutOwnerWantsAScanOnlyAfterNewEvents) {
  const FlowTrouble unowned = flow(7, 3'000'000'000);
  EXPECT_TRUE(flows_want_owner_scan(std::vector{unowned}, OwnerIndex()));
  EXPECT_TRUE(flows_want_owner_scan(std::vector{unowned}, OwnerIndex(std::vector<ts_owner_record>{}, 2.0)));
  EXPECT_FALSE(flows_want_owner_scan(std::vector{unowned}, OwnerIndex(std::vector<ts_owner_record>{}, 3.5)));
}

}  // namespace
}  // namespace tcpsight
