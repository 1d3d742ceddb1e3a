#include <gtest/gtest.h>

#include <vector>

#include "core/owner_attribution.hpp"
#include "core_test_input.hpp"

namespace tcpsight {
namespace {

using test::Ends;
using test::owner_record;
using test::state_change;

constexpr uint64_t kMs = 1'000'000;
const Ends kServer{"10.0.0.1", 8080, "10.0.0.2", 40000};  // an accepted socket
const Ends kListener{"10.0.0.1", 8080, "0.0.0.0", 0};
constexpr uint64_t kListenerCookie = 1, kChildCookie = 7;

// One batch in, its owners out: a scan when one is due (with these records), then release.
std::vector<OwnedEvent> attribute(OwnerAttribution& a, const std::vector<ts_event>& batch, double now_s,
                                  const std::vector<ts_owner_record>& holders = {}) {
  for (const auto& e : batch) a.add(e, now_s);
  if (a.scan_due(now_s)) a.on_scan(holders, now_s, now_s + 0.001);
  EXPECT_TRUE(a.ready(now_s)) << "a scan was due, so nothing waits";
  return a.release();
}

TEST(OwnerAttribution, TakesTheKernelsOwnerWithoutAScan) {
  OwnerAttribution a;
  const ts_event connect = state_change(kServer.reversed(), TS_CLOSE, TS_SYN_SENT).cookie(3).owner(42, "curl");
  a.add(connect, 1.0);
  EXPECT_FALSE(a.scan_due(1.0));
  ASSERT_TRUE(a.ready(1.0));
  const auto out = a.release();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].owner.source, OwnerSource::event);
  EXPECT_EQ(out[0].owner.tgid, 42u);
  EXPECT_EQ(out[0].owner.comm, "curl");
  EXPECT_EQ(a.scans(), 0u);
}

TEST(OwnerAttribution, PreForkChildOwnsWhatItAcceptedAndTheParentNever) {
  OwnerAttribution a;
  // The parent listened (the kernel named it); two children hold the listener too.
  const ts_event listen = state_change(kListener, TS_CLOSE, TS_LISTEN).cookie(kListenerCookie).owner(100, "server");
  attribute(a, {listen}, 1.0);
  const std::vector<ts_owner_record> scan{owner_record(kListenerCookie, 100, "server"),
                                          owner_record(kListenerCookie, 101, "server"),
                                          owner_record(kListenerCookie, 102, "server"),
                                          owner_record(kChildCookie, 102, "server", 5)};
  const auto out = attribute(a,
                             {state_change(kServer, TS_LISTEN, TS_SYN_RECV).cookie(kChildCookie).at_ns(2000 * kMs),
                              state_change(kServer, TS_SYN_RECV, TS_ESTABLISHED).cookie(kChildCookie)},
                             2.0, scan);
  ASSERT_EQ(out.size(), 2u);
  for (const auto& oe : out) {
    EXPECT_EQ(oe.owner.source, OwnerSource::scan);
    EXPECT_EQ(oe.owner.tgid, 102u);
    EXPECT_EQ(oe.owner.holders, (std::vector<uint32_t>{102}));
    EXPECT_FALSE(oe.owner.held_by(100));
  }
  // A listener event after the scan: the parent, as the kernel said, held by all three.
  const auto later = attribute(a, {test::flow_event(TS_EV_SYNACK_RETRANSMIT, kListener, TS_LISTEN)
                                       .cookie(kListenerCookie)},
                               2.1);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].owner.tgid, 100u);
  EXPECT_EQ(later[0].owner.other_holders(), 2u);
  EXPECT_TRUE(later[0].owner.held_by(101));
}

TEST(OwnerAttribution, ListenerOfAServerStartedEarlierIsHeldByAllItsProcesses) {
  OwnerAttribution a;
  const std::vector<ts_owner_record> scan{owner_record(kListenerCookie, 101, "worker"),
                                          owner_record(kListenerCookie, 100, "master")};
  const auto out = attribute(a, {state_change(kListener, TS_LISTEN, TS_CLOSE).cookie(kListenerCookie)}, 1.0, scan);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].owner.tgid, 100u) << "lowest tgid shown";
  EXPECT_EQ(out[0].owner.comm, "master");
  EXPECT_EQ(out[0].owner.other_holders(), 1u);
}

TEST(OwnerAttribution, CloseInTheSameBatchNamesTheOwnerOfEarlierEvents) {
  OwnerAttribution a;
  const std::vector<ts_event> batch{
      state_change(kServer, TS_LISTEN, TS_SYN_RECV).cookie(kChildCookie),
      state_change(kServer, TS_SYN_RECV, TS_ESTABLISHED).cookie(kChildCookie),
      state_change(kServer, TS_ESTABLISHED, TS_CLOSE_WAIT).cookie(kChildCookie),
      state_change(kServer, TS_CLOSE_WAIT, TS_LAST_ACK).cookie(kChildCookie).owner(102, "child"),
      state_change(kServer, TS_LAST_ACK, TS_CLOSE).cookie(kChildCookie)};
  for (const auto& e : batch) a.add(e, 1.0);
  EXPECT_FALSE(a.scan_due(1.0)) << "every event has an owner from the close() hint";
  ASSERT_TRUE(a.ready(1.0));
  const auto out = a.release();
  ASSERT_EQ(out.size(), batch.size());
  for (const auto& oe : out) {
    EXPECT_EQ(oe.owner.source, OwnerSource::event);
    EXPECT_EQ(oe.owner.tgid, 102u);
  }
  EXPECT_EQ(a.remembered(), 0u) << "forgotten at ->CLOSE";
}

TEST(OwnerAttribution, RemembersAnOwnerUntilTheSocketCloses) {
  OwnerAttribution a;
  attribute(a, {state_change(kServer.reversed(), TS_CLOSE, TS_SYN_SENT).cookie(9).owner(42, "client")}, 1.0);
  EXPECT_EQ(a.remembered(), 1u);
  a.add(test::flow_event(TS_EV_RETRANSMIT, kServer.reversed(), TS_ESTABLISHED).cookie(9), 2.0);
  EXPECT_FALSE(a.scan_due(2.0)) << "remembered";
  auto out = a.release();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].owner.tgid, 42u);

  out = attribute(a, {state_change(kServer.reversed(), TS_FIN_WAIT2, TS_CLOSE).cookie(9)}, 3.0);
  EXPECT_EQ(out[0].owner.tgid, 42u);
  EXPECT_EQ(a.remembered(), 0u);
  // A reset after the close: the socket is forgotten, and no scan finds a holder.
  a.add(test::flow_event(TS_EV_RESET_SENT, kServer.reversed(), TS_CLOSE).cookie(9), 4.0);
  EXPECT_TRUE(a.scan_due(4.0));
  a.on_scan({}, 4.0, 4.001);
  out = a.release();
  EXPECT_FALSE(out[0].owner.known());
  EXPECT_EQ(out[0].owner.tgid, 0u);
}

TEST(OwnerAttribution, FdPassedOnIsTheNewHoldersOnceAScanSeesIt) {
  OwnerAttribution a;
  // A connected (named by the kernel at 1 s), then passed the fd to B and closed its copy.
  attribute(a, {state_change(kServer.reversed(), TS_CLOSE, TS_SYN_SENT).cookie(9).owner(10, "A").at_ns(1000 * kMs)},
            1.0);
  // Another socket makes a scan run at 2 s; it sees B holding socket 9.
  const std::vector<ts_owner_record> scan{owner_record(9, 20, "B"), owner_record(11, 30, "C")};
  attribute(a, {state_change(kServer, TS_SYN_RECV, TS_ESTABLISHED).cookie(11).at_ns(1900 * kMs)}, 2.0, scan);
  const auto out = attribute(a, {test::flow_event(TS_EV_RETRANSMIT, kServer.reversed(), TS_ESTABLISHED).cookie(9)}, 2.1);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].owner.tgid, 20u);
  EXPECT_EQ(out[0].owner.source, OwnerSource::scan);
}

TEST(OwnerAttribution, KeepsTheNamedOwnerWhileItStillHoldsTheSocket) {
  OwnerAttribution a;
  attribute(a, {state_change(kListener, TS_CLOSE, TS_LISTEN).cookie(1).owner(10, "parent").at_ns(1000 * kMs)}, 1.0);
  const std::vector<ts_owner_record> scan{owner_record(1, 10, "parent"), owner_record(1, 11, "child"),
                                          owner_record(11, 30, "C")};
  attribute(a, {state_change(kServer, TS_SYN_RECV, TS_ESTABLISHED).cookie(11).at_ns(1900 * kMs)}, 2.0, scan);
  const auto out = attribute(a, {state_change(kListener, TS_LISTEN, TS_CLOSE).cookie(1)}, 2.1);
  EXPECT_EQ(out[0].owner.tgid, 10u);
  EXPECT_EQ(out[0].owner.source, OwnerSource::event);
  EXPECT_EQ(out[0].owner.holders, (std::vector<uint32_t>{10, 11}));
}

TEST(OwnerAttribution, ListenersTupleAtSynRecvSaysNothing) {
  // Before 6.15: LISTEN->SYN_RECV with the listener's tuple and cookie.
  OwnerAttribution a;
  const std::vector<ts_owner_record> scan{owner_record(kListenerCookie, 100, "parent")};
  a.on_scan(scan, 0.5, 0.501);
  a.add(state_change(kListener, TS_LISTEN, TS_SYN_RECV).cookie(kListenerCookie).owner(100, "parent"), 1.0);
  EXPECT_FALSE(a.scan_due(1.0));
  const auto out = a.release();
  EXPECT_FALSE(out[0].owner.known());
  EXPECT_TRUE(out[0].owner.holders.empty());
}

TEST(OwnerAttribution, NeverNamesItself) {
  OwnerAttributionOptions options;
  options.self_tgid = 77;
  OwnerAttribution a(options);
  a.add(state_change(kServer, TS_ESTABLISHED, TS_FIN_WAIT1).cookie(5).owner(77, "tcpsight"), 1.0);
  EXPECT_TRUE(a.scan_due(1.0));
  a.on_scan({}, 1.0, 1.001);
  EXPECT_FALSE(a.release()[0].owner.known());
}

TEST(OwnerAttribution, HoldsEventsUntilAScanIsDueButNotForever) {
  OwnerAttribution a;  // scans at most every 0.2 s
  attribute(a, {state_change(kServer, TS_SYN_RECV, TS_ESTABLISHED).cookie(5)}, 1.0, {owner_record(5, 40, "srv")});
  EXPECT_EQ(a.scans(), 1u);
  const std::vector<ts_owner_record> scan{owner_record(6, 50, "srv")};

  a.add(state_change(kServer, TS_SYN_RECV, TS_ESTABLISHED).cookie(6), 1.1);
  EXPECT_FALSE(a.scan_due(1.1)) << "0.1 s after the last scan";
  EXPECT_FALSE(a.ready(1.1)) << "held for the next scan";
  EXPECT_TRUE(a.scan_due(1.25));
  a.on_scan(scan, 1.25, 1.251);
  ASSERT_TRUE(a.ready(1.25));
  auto out = a.release();
  EXPECT_EQ(out[0].owner.tgid, 50u);

  // When no scan may run (the pacer), events go out unknown after max_hold_s.
  OwnerAttributionOptions options;
  options.scan_cpu_share = 0.01;
  OwnerAttribution slow(options);
  attribute(slow, {state_change(kServer, TS_SYN_RECV, TS_ESTABLISHED).cookie(5)}, 1.0, {owner_record(5, 40, "srv")});
  slow.on_scan({}, 1.0, 1.1);  // 0.1 s at 1%: the next one in 10 s
  slow.add(state_change(kServer, TS_SYN_RECV, TS_ESTABLISHED).cookie(6), 1.5);
  EXPECT_FALSE(slow.scan_due(1.7));
  EXPECT_FALSE(slow.ready(1.7));
  EXPECT_TRUE(slow.ready(1.5 + options.max_hold_s));
  EXPECT_FALSE(slow.release()[0].owner.known());
}

TEST(OwnerAttribution, ScanPacedToItsShareOfACore) {
  OwnerScanPacer pacer(0.2, 0.03);
  EXPECT_TRUE(pacer.due(0));
  pacer.taken(10.0, 10.3);  // a scan of 0.3 s: paid off after 10 s at 3%
  EXPECT_FALSE(pacer.due(10.5));
  EXPECT_FALSE(pacer.due(19.9));
  EXPECT_TRUE(pacer.due(20.01));
  pacer.taken(20.0, 20.001);  // a cheap scan: the minimum interval rules
  EXPECT_FALSE(pacer.due(20.1));
  EXPECT_TRUE(pacer.due(20.25));
}

TEST(OwnerAttribution, WaitsForTheCloseThatNamesWhatNoScanFound) {
  // A child accepted and read the client's FIN, then closed just before the scan ran: the scan
  // finds nobody, and its close() comes with the next events.
  OwnerAttribution a;
  a.add(state_change(kServer, TS_SYN_RECV, TS_ESTABLISHED).cookie(kChildCookie), 1.0);
  a.add(state_change(kServer, TS_ESTABLISHED, TS_CLOSE_WAIT).cookie(kChildCookie), 1.0);
  ASSERT_TRUE(a.scan_due(1.0));
  a.on_scan({}, 1.0, 1.001);
  EXPECT_FALSE(a.ready(1.1)) << "CLOSE_WAIT: a close() by its holder is still to come";
  EXPECT_FALSE(a.scan_due(1.1));
  EXPECT_TRUE(a.scan_due(1.25)) << "and another scan may find it (an accept queue)";
  a.add(state_change(kServer, TS_CLOSE_WAIT, TS_LAST_ACK).cookie(kChildCookie).owner(102, "child"), 1.1);
  ASSERT_TRUE(a.ready(1.1));
  for (const auto& oe : a.release()) EXPECT_EQ(oe.owner.tgid, 102u) << "every event of it";

  // From FIN_WAIT2 on no close() will come: unknown after the scan, without waiting.
  a.add(state_change(kServer, TS_FIN_WAIT1, TS_FIN_WAIT2).cookie(8), 2.0);
  a.on_scan({}, 2.0, 2.001);
  EXPECT_TRUE(a.ready(2.0));
  EXPECT_FALSE(a.release()[0].owner.known());
}

TEST(OwnerAttribution, RememberedOwnersAreBoundedAndEvictionsCounted) {
  OwnerAttributionOptions options;
  options.remembered_capacity = 8;
  OwnerAttribution a(options);
  std::vector<ts_event> batch;
  for (uint64_t c = 1; c <= 20; ++c)
    batch.push_back(state_change(kServer.reversed(), TS_CLOSE, TS_SYN_SENT).cookie(c).owner(42, "client"));
  attribute(a, batch, 1.0);
  EXPECT_LE(a.remembered(), 8u);
  EXPECT_EQ(a.remembered() + a.evictions(), 20u);
  // The newest are kept.
  a.add(test::flow_event(TS_EV_RETRANSMIT, kServer.reversed(), TS_ESTABLISHED).cookie(20), 2.0);
  EXPECT_FALSE(a.scan_due(2.0));
  EXPECT_EQ(a.release()[0].owner.tgid, 42u);
}

TEST(OwnerAttribution, UnknownWhenNobodyHoldsTheSocket) {
  OwnerAttribution a;
  // A TIME_WAIT hand-over seen for a socket opened before tracing: no hint, no holder.
  const auto out = attribute(a, {state_change(kServer, TS_FIN_WAIT2, TS_CLOSE).cookie(5)}, 1.0,
                             {owner_record(6, 50, "other")});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].owner.known());
  EXPECT_EQ(out[0].owner.source, OwnerSource::unknown);
}

}  // namespace
}  // namespace tcpsight
