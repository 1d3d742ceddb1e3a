#include "top/top_model.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "core/tcp_state.hpp"
#include "top_test_records.hpp"

namespace tcpsight {
namespace {

using namespace top_test;

TopReading reading(const std::vector<ts_sock_record>& sockets, const ts_counters& c, double now,
                   KernelCounters kernel = {}) {
  return {c, sockets, std::move(kernel), PortRange{32768, 60999}, now, 1000 + now};
}

const StateRow& row(const TopFrame& f, int state) {
  for (const StateRow& r : f.states)
    if (r.state == state) return r;
  throw std::logic_error("state not shown");
}

TEST(TopModel, CountsEveryReportedStateWithRequestSocketsUnderSynRecv) {
  TopModel model({"h", "k", "n"}, 0);
  const std::vector<ts_sock_record> sockets = {
      listener("10.0.0.1", 80, 2, 0, 128),
      record(TS_NEW_SYN_RECV, "10.0.0.1", 80, "10.0.0.2", 40000),
      record(TS_NEW_SYN_RECV, "10.0.0.1", 80, "10.0.0.2", 40001),
      record(TS_ESTABLISHED, "10.0.0.1", 80, "10.0.0.3", 40000),
      time_wait("10.0.0.1", 40000, "10.0.0.9", 443, 42000),
  };
  model.refresh(reading(sockets, {}, 1));
  const TopFrame& f = model.frame();
  EXPECT_EQ(f.states.size(), kReportedStates.size());
  EXPECT_EQ(row(f, TS_SYN_RECV).count, 2u);
  EXPECT_EQ(f.syn_recv, 2u);
  EXPECT_EQ(f.request_sockets, 2u);
  EXPECT_EQ(row(f, TS_ESTABLISHED).count, 1u);
  EXPECT_EQ(row(f, TS_TIME_WAIT).count, 1u);
  EXPECT_EQ(f.time_wait.count, 1u);
  EXPECT_EQ(f.sockets_total, 5u);
  EXPECT_FALSE(f.has_rates);  // one reading: no rate yet
  ASSERT_EQ(f.destinations.size(), 1u);
  EXPECT_EQ(f.destinations[0].port, 443);
}

TEST(TopModel, ChangePerSecondComesFromConsecutiveSnapshots) {
  TopModel model({}, 0);
  std::vector<ts_sock_record> sockets;
  model.refresh(reading(sockets, {}, 1));
  for (uint16_t p = 0; p < 10; ++p) sockets.push_back(time_wait("10.0.0.1", 40000 + p, "10.0.0.2", 80, 60000));
  model.refresh(reading(sockets, {}, 3));  // 10 more in 2 s
  EXPECT_TRUE(model.frame().has_rates);
  EXPECT_DOUBLE_EQ(row(model.frame(), TS_TIME_WAIT).change_per_s, 5.0);
  EXPECT_DOUBLE_EQ(row(model.frame(), TS_ESTABLISHED).change_per_s, 0.0);
}

TEST(TopModel, TransitionsAreOrderedByRate) {
  TopModel model({}, 0);
  ts_counters c{};
  c.transitions[TS_LISTEN][TS_SYN_RECV] = 100;  // busy in the past, quiet now
  c.transitions[TS_FIN_WAIT2][TS_CLOSE] = 10;
  model.refresh(reading({}, c, 1));
  c.transitions[TS_FIN_WAIT2][TS_CLOSE] += 20;
  c.transitions[TS_LISTEN][TS_SYN_RECV] += 2;
  c.time_wait_entered += 20;
  c.events_seen += 50;
  model.refresh(reading({}, c, 2));
  const TopFrame& f = model.frame();
  ASSERT_EQ(f.transitions.size(), 2u);
  EXPECT_EQ(f.transitions[0].from, TS_FIN_WAIT2);
  EXPECT_DOUBLE_EQ(f.transitions[0].per_s, 20.0);
  EXPECT_EQ(f.transitions[0].total, 30u);
  EXPECT_EQ(f.transitions[1].from, TS_LISTEN);
  EXPECT_DOUBLE_EQ(f.time_wait_entered_per_s, 20.0);
  EXPECT_DOUBLE_EQ(f.events_per_s, 50.0);
}

TEST(TopModel, KernelListenCountersBecomeRates) {
  TopModel model({}, 0);
  model.refresh(
      reading({}, {}, 1, {{"TcpExt.ListenOverflows", 10}, {"TcpExt.ListenDrops", 10}, {"TcpExt.SyncookiesSent", 0}}));
  model.refresh(
      reading({}, {}, 3, {{"TcpExt.ListenOverflows", 30}, {"TcpExt.ListenDrops", 14}, {"TcpExt.SyncookiesSent", 8}}));
  const TopFrame& f = model.frame();
  EXPECT_TRUE(f.kernel_counters_known);
  EXPECT_DOUBLE_EQ(f.listen_overflows_per_s, 10.0);
  EXPECT_DOUBLE_EQ(f.listen_drops_per_s, 2.0);
  EXPECT_DOUBLE_EQ(f.syncookies_sent_per_s, 4.0);
  model.refresh(reading({}, {}, 4, {}));
  EXPECT_FALSE(model.frame().kernel_counters_known);
}

TEST(TopModel, FlagsAFullAcceptQueueAndASynQueueThatKeepsGrowing) {
  TopModel model({}, 0);
  uint32_t syn = 1;
  for (int i = 0; i < TopModel::kGrowthRefreshes; ++i, syn *= 2) {
    model.refresh(reading({listener("10.0.0.1", 80, syn, 0, 128), listener("10.0.0.1", 81, 0, 128, 128)}, {}, i));
    EXPECT_FALSE(model.frame().listeners.back().syn_queue_growing) << "refresh " << i;
  }
  model.refresh(reading({listener("10.0.0.1", 80, syn, 0, 128), listener("10.0.0.1", 81, 0, 128, 128)}, {}, 9));
  const TopFrame& f = model.frame();
  ASSERT_EQ(f.listeners.size(), 2u);
  const ListenerRow& flood = f.listeners[0].port == 80 ? f.listeners[0] : f.listeners[1];
  const ListenerRow& full = f.listeners[0].port == 81 ? f.listeners[0] : f.listeners[1];
  EXPECT_TRUE(flood.syn_queue_growing);
  EXPECT_FALSE(flood.accept_queue_full);
  EXPECT_TRUE(full.accept_queue_full);
  EXPECT_FALSE(full.syn_queue_growing);
  // A queue that stops growing is no longer flagged.
  model.refresh(reading({listener("10.0.0.1", 80, syn, 0, 128)}, {}, 10));
  EXPECT_FALSE(model.frame().listeners[0].syn_queue_growing);
}

TEST(TopModel, BetweenPacedSnapshotsTheSnapshotFiguresStayAndRatesStillMove) {
  TopModel model({}, 0);
  std::vector<ts_sock_record> sockets;
  for (uint16_t p = 0; p < 4; ++p) sockets.push_back(time_wait("10.0.0.1", 40000 + p, "10.0.0.2", 80, 60000));
  sockets.push_back(listener("10.0.0.1", 80, 5, 0, 128));
  ts_counters c{};
  model.refresh(reading(sockets, c, 1));

  // Two refreshes on the same (stale) snapshot: the counters move on, the snapshot's view does not.
  for (int i = 0; i < TopModel::kGrowthRefreshes + 1; ++i) {
    c.time_wait_entered += 10;
    TopReading stale = reading(sockets, c, 2.0 + i);
    stale.snapshot_fresh = false;
    stale.snapshot_age_s = 1.0 + i;
    model.refresh(stale);
  }
  const TopFrame& f = model.frame();
  EXPECT_EQ(f.time_wait.count, 4u);
  EXPECT_DOUBLE_EQ(f.time_wait_entered_per_s, 10.0);
  EXPECT_DOUBLE_EQ(f.snapshot_age_s, 4.0);
  ASSERT_EQ(f.listeners.size(), 1u);
  EXPECT_FALSE(f.listeners[0].syn_queue_growing) << "a snapshot seen again is no growth";

  // The next snapshot's change is spread over the time since the previous snapshot: 5 s.
  for (uint16_t p = 4; p < 14; ++p) sockets.push_back(time_wait("10.0.0.1", 40000 + p, "10.0.0.2", 80, 60000));
  model.refresh(reading(sockets, c, 6));
  EXPECT_DOUBLE_EQ(row(model.frame(), TS_TIME_WAIT).change_per_s, 2.0);
  EXPECT_DOUBLE_EQ(model.frame().snapshot_age_s, 0);
}

TEST(TopModel, ASynQueueAtTheBacklogIsFull) {
  TopModel model({}, 0);
  model.refresh(reading({listener("10.0.0.1", 80, 128, 0, 128)}, {}, 1));
  EXPECT_TRUE(model.frame().listeners[0].syn_queue_full);
}

TEST(TopModel, FlowsComeFromRetransmitAndResetEvents) {
  TopModel model({}, 0);
  for (int i = 0; i < 3; ++i)
    model.on_event(event(TS_EV_RETRANSMIT, "10.0.0.1", 40000, "10.0.0.2", 80, TS_ESTABLISHED, 10 + i));
  model.on_event(event(TS_EV_RESET_SENT, "10.0.0.1", 40001, "10.0.0.2", 80, TS_CLOSE_WAIT, 20));
  ts_counters c{};
  c.retransmits[TS_ESTABLISHED] = 3;
  c.resets_sent = 1;
  model.refresh(reading({}, c, 1));
  const TopFrame& f = model.frame();
  ASSERT_EQ(f.flows.size(), 2u);
  EXPECT_EQ(f.retransmits, 3u);
  EXPECT_EQ(f.resets_sent, 1u);
  uint64_t retx = 0, rst = 0;
  for (const FlowRow& fl : f.flows) retx += fl.retransmits, rst += fl.resets;
  EXPECT_EQ(retx, 3u);
  EXPECT_EQ(rst, 1u);
}

TEST(TopModel, FlowOwnersComeFromTheOwnerScan) {
  TopModel model({}, 0);
  ts_event held = event(TS_EV_RETRANSMIT, "10.0.0.1", 40000, "10.0.0.2", 80, TS_ESTABLISHED, 1'000'000'000);
  held.cookie = 5;
  ts_event gone = event(TS_EV_RESET_SENT, "10.0.0.1", 40001, "10.0.0.2", 80, TS_CLOSE, 1'000'000'000);
  gone.cookie = 6;
  model.on_event(held);
  model.on_event(gone);
  EXPECT_TRUE(model.wants_owner_scan(OwnerIndex())) << "no scan yet, two flows without owner";

  ts_owner_record r{};
  r.cookie = 5;
  r.tgid = 300;
  std::strncpy(r.comm, "nginx", sizeof r.comm);
  ts_owner_record parent = r;
  parent.tgid = 200;  // a socket held by two processes
  const std::vector<ts_owner_record> records{r, parent};
  const OwnerIndex scan(records, 2.0);  // after both events
  EXPECT_FALSE(model.wants_owner_scan(scan)) << "the scan saw both flows' sockets (or that nobody holds one)";
  TopReading in = reading({}, {}, 2);
  in.owners = &scan;
  model.refresh(in);
  for (const FlowRow& f : model.frame().flows) {
    if (f.local_port == 40000) {
      EXPECT_EQ(f.tgid, 200u);
      EXPECT_EQ(f.comm, "nginx");
      EXPECT_EQ(f.other_holders, 1u);
    } else {
      EXPECT_EQ(f.tgid, 0u) << "nobody holds it: unknown";
    }
  }
  // A new event on the unowned flow asks for a new scan.
  gone.ts_ns = 3'000'000'000;
  model.on_event(gone);
  EXPECT_TRUE(model.wants_owner_scan(scan));
}

TEST(TopModel, UptimeCountsFromStart) {
  TopModel model({"host", "6.18", "ns"}, 100);
  model.refresh(reading({}, {}, 165));
  EXPECT_DOUBLE_EQ(model.frame().uptime_s, 65);
  EXPECT_EQ(model.frame().host.hostname, "host");
}

}  // namespace
}  // namespace tcpsight
