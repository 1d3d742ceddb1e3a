// The aggregator fed synthetic kernel input: what it counts from events, what it keeps from the
// kernel's exact counters, the rates it derives, and the bounded table of troubled flows.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <utility>
#include <vector>

#include "core/aggregator.hpp"
#include "core/tcp_state.hpp"
#include "core_test_input.hpp"

namespace tcpsight {
namespace {

using test::Ends;
using test::flow_event;
using test::state_change;

constexpr uint64_t kMs = 1'000'000;

const Ends kClient{"127.0.0.1", 40000, "127.0.0.1", 8080};
const Ends kServerChild = kClient.reversed();

// The ten state events of one loopback connection whose client closes first, in the order the
// kernel emits them (design.md §1). Lifetimes: client 5 ms, server child 4 ms.
std::vector<ts_event> client_closes_first(const Ends& client, uint64_t t0) {
  const Ends server = client.reversed();
  return {
      state_change(client, TS_CLOSE, TS_SYN_SENT).at_ns(t0).owner(111, "curl"),
      state_change(server, TS_LISTEN, TS_SYN_RECV).at_ns(t0 + 10'000).owner(222, "nginx"),
      state_change(client, TS_SYN_SENT, TS_ESTABLISHED).at_ns(t0 + 20'000).timing(20'000),
      state_change(server, TS_SYN_RECV, TS_ESTABLISHED).at_ns(t0 + 30'000).timing(20'000),
      state_change(client, TS_ESTABLISHED, TS_FIN_WAIT1).at_ns(t0 + 1 * kMs).timing(1 * kMs).owner(111, "curl"),
      state_change(server, TS_ESTABLISHED, TS_CLOSE_WAIT).at_ns(t0 + 2 * kMs).timing(2 * kMs),
      state_change(client, TS_FIN_WAIT1, TS_FIN_WAIT2).at_ns(t0 + 2 * kMs + 10'000).timing(kMs),
      state_change(server, TS_CLOSE_WAIT, TS_LAST_ACK).at_ns(t0 + 3 * kMs).timing(kMs).owner(222, "nginx"),
      state_change(client, TS_FIN_WAIT2, TS_CLOSE)
          .at_ns(t0 + 5 * kMs)
          .timing(3 * kMs, 5 * kMs)
          .flags(TS_F_TIME_WAIT),
      state_change(server, TS_LAST_ACK, TS_CLOSE).at_ns(t0 + 4 * kMs + 10'000).timing(kMs, 4 * kMs),
  };
}

uint64_t sum_transitions(const EventTally& t) {
  uint64_t n = 0;
  for (const auto& row : t.transitions)
    for (uint64_t v : row) n += v;
  return n;
}

void feed(Aggregator& agg, const std::vector<ts_event>& events) {
  for (const ts_event& e : events) agg.on_event(e);
}

TEST(AggregatorEvents, FullOpenAndCloseOfBothEndsCountsEveryTransitionOnce) {
  Aggregator agg;
  feed(agg, client_closes_first(kClient, 1'000'000'000));

  const EventTally& t = agg.events();
  EXPECT_EQ(t.received, 10u);
  const std::pair<int, int> expected[] = {
      {TS_CLOSE, TS_SYN_SENT},         {TS_SYN_SENT, TS_ESTABLISHED}, {TS_LISTEN, TS_SYN_RECV},
      {TS_SYN_RECV, TS_ESTABLISHED},   {TS_ESTABLISHED, TS_FIN_WAIT1}, {TS_FIN_WAIT1, TS_FIN_WAIT2},
      {TS_FIN_WAIT2, TS_CLOSE},        {TS_ESTABLISHED, TS_CLOSE_WAIT}, {TS_CLOSE_WAIT, TS_LAST_ACK},
      {TS_LAST_ACK, TS_CLOSE},
  };
  for (const auto& [from, to] : expected)
    EXPECT_EQ(t.transitions[from][to], 1u) << state_name(from) << "->" << state_name(to);
  EXPECT_EQ(sum_transitions(t), 10u) << "no transition beyond the ten the connection made";

  EXPECT_EQ(t.time_wait_entered, 1u) << "only the active closer (client) enters TIME_WAIT";
  EXPECT_EQ(t.closed_with_lifetime, 2u);
  EXPECT_EQ(t.lifetime_ns_sum, 9 * kMs) << "client 5 ms + server child 4 ms";
  EXPECT_EQ(t.retransmits + t.resets_sent + t.resets_received + t.synack_retransmits, 0u);
  EXPECT_TRUE(agg.troubled_flows(10).empty()) << "a clean connection is no trouble";
}

TEST(AggregatorEvents, CloseOfSocketSeenBeforeStartHasNoLifetime) {
  Aggregator agg;
  // Opened before tcpsight attached: timing unknown, so no lifetime may be invented.
  agg.on_event(state_change(kClient, TS_LAST_ACK, TS_CLOSE).at_ns(5));
  // Timing known but the open was not seen (lifetime 0): also no lifetime.
  agg.on_event(state_change(kServerChild, TS_LAST_ACK, TS_CLOSE).at_ns(6).timing(kMs, 0));
  EXPECT_EQ(agg.events().transitions[TS_LAST_ACK][TS_CLOSE], 2u);
  EXPECT_EQ(agg.events().closed_with_lifetime, 0u);
  EXPECT_EQ(agg.events().lifetime_ns_sum, 0u);
}

TEST(AggregatorEvents, ResetCloseLeavesNoTimeWaitEntry) {
  Aggregator agg;
  // Connection 1: the client's established socket is reset by the peer.
  agg.on_event(flow_event(TS_EV_RESET_RECEIVED, kClient, TS_ESTABLISHED).at_ns(100));
  agg.on_event(state_change(kClient, TS_ESTABLISHED, TS_CLOSE).at_ns(101).flags(TS_F_RESET));
  // Connection 2: the active closer got as far as FIN_WAIT2, then a reset ended it.
  const Ends other{"127.0.0.1", 40001, "127.0.0.1", 8080};
  agg.on_event(state_change(other, TS_ESTABLISHED, TS_FIN_WAIT1).at_ns(200));
  agg.on_event(state_change(other, TS_FIN_WAIT1, TS_FIN_WAIT2).at_ns(201));
  agg.on_event(flow_event(TS_EV_RESET_RECEIVED, other, TS_FIN_WAIT2).at_ns(202));
  agg.on_event(state_change(other, TS_FIN_WAIT2, TS_CLOSE).at_ns(203).flags(TS_F_RESET));

  const EventTally& t = agg.events();
  EXPECT_EQ(t.time_wait_entered, 0u);
  EXPECT_EQ(t.transitions[TS_ESTABLISHED][TS_CLOSE], 1u);
  EXPECT_EQ(t.transitions[TS_FIN_WAIT2][TS_CLOSE], 1u);
  EXPECT_EQ(t.resets_received, 2u);
  EXPECT_EQ(t.resets_sent, 0u);

  // Both reset flows are listed, and their last known state is the close that followed.
  const auto flows = agg.troubled_flows(10);
  ASSERT_EQ(flows.size(), 2u);
  for (const FlowTrouble& f : flows) {
    EXPECT_EQ(f.resets, 1u);
    EXPECT_EQ(f.state, TS_CLOSE);
  }
}

TEST(AggregatorEvents, SimultaneousCloseGivesTwoTimeWaitEntries) {
  Aggregator agg;
  for (const Ends& end : {kClient, kServerChild}) {
    agg.on_event(state_change(end, TS_ESTABLISHED, TS_FIN_WAIT1).at_ns(10));
    agg.on_event(state_change(end, TS_FIN_WAIT1, TS_CLOSING).at_ns(20));
    agg.on_event(state_change(end, TS_CLOSING, TS_CLOSE).at_ns(30).flags(TS_F_TIME_WAIT));
  }
  const EventTally& t = agg.events();
  EXPECT_EQ(t.time_wait_entered, 2u);
  EXPECT_EQ(t.transitions[TS_FIN_WAIT1][TS_CLOSING], 2u);
  EXPECT_EQ(t.transitions[TS_CLOSING][TS_CLOSE], 2u);
  EXPECT_EQ(t.received, 6u);
}

TEST(AggregatorEvents, TimeWaitEntriesAreTheKernelsVerdictNotTheStatePair) {
  // The kernel program saw whether a timewait socket took the connection's place in the hash; a
  // close from an active-closing state without that (an abort, a timeout) is no TIME_WAIT entry.
  Aggregator agg;
  agg.on_event(state_change(kServerChild, TS_FIN_WAIT1, TS_CLOSE));
  EXPECT_EQ(agg.events().time_wait_entered, 0u);
  agg.on_event(state_change(kClient, TS_FIN_WAIT2, TS_CLOSE).flags(TS_F_TIME_WAIT));
  EXPECT_EQ(agg.events().time_wait_entered, 1u);
}

TEST(AggregatorEvents, SynAckRetransmitsCountButCreateNoFlow) {
  Aggregator agg;
  for (int i = 0; i < 3; ++i)
    agg.on_event(flow_event(TS_EV_SYNACK_RETRANSMIT, kServerChild, TS_NEW_SYN_RECV).at_ns(static_cast<uint64_t>(i)));
  EXPECT_EQ(agg.events().synack_retransmits, 3u);
  EXPECT_TRUE(agg.troubled_flows(10).empty());
}

// --- kernel counters: exact totals, loss, rates ---

ts_counters counters_for_connections(uint64_t n) {
  ts_counters c{};
  for (const auto& [from, to] : {std::pair{TS_CLOSE, TS_SYN_SENT}, {TS_SYN_SENT, TS_ESTABLISHED},
                                 {TS_LISTEN, TS_SYN_RECV}, {TS_SYN_RECV, TS_ESTABLISHED},
                                 {TS_ESTABLISHED, TS_FIN_WAIT1}, {TS_FIN_WAIT1, TS_FIN_WAIT2},
                                 {TS_FIN_WAIT2, TS_CLOSE}, {TS_ESTABLISHED, TS_CLOSE_WAIT},
                                 {TS_CLOSE_WAIT, TS_LAST_ACK}, {TS_LAST_ACK, TS_CLOSE}})
    c.transitions[from][to] = n;
  c.time_wait_entered = n;
  c.events_seen = 10 * n;
  return c;
}

TEST(AggregatorCounters, LostEventsShowAndTotalsStayExact) {
  Aggregator agg;
  // Three connections happened; the ring buffer delivered the events of only one.
  feed(agg, client_closes_first(kClient, 1000));
  ts_counters kernel = counters_for_connections(3);
  kernel.events_lost = 20;
  agg.on_counters(kernel, 1.0);

  ASSERT_TRUE(agg.has_counters());
  EXPECT_EQ(std::memcmp(&agg.totals(), &kernel, sizeof kernel), 0) << "totals are the kernel's counters, unchanged";
  EXPECT_EQ(agg.totals().transitions[TS_FIN_WAIT2][TS_CLOSE], 3u);
  EXPECT_EQ(agg.totals().time_wait_entered, 3u);
  EXPECT_EQ(agg.totals().events_lost, 20u);
  EXPECT_EQ(agg.totals().events_seen - agg.events().received, agg.totals().events_lost);
  // What the events alone said is still what they said.
  EXPECT_EQ(agg.events().received, 10u);
  EXPECT_EQ(agg.events().transitions[TS_FIN_WAIT2][TS_CLOSE], 1u);
  EXPECT_EQ(agg.events().time_wait_entered, 1u);
}

TEST(AggregatorCounters, BeforeAnyCounterReadingTotalsAreWhatTheEventsSaid) {
  Aggregator agg;
  feed(agg, client_closes_first(kClient, 1000));
  agg.on_event(flow_event(TS_EV_RETRANSMIT, kClient, TS_ESTABLISHED).at_ns(2000));
  agg.on_event(flow_event(TS_EV_RESET_SENT, kClient, TS_ESTABLISHED).at_ns(3000));
  agg.on_event(flow_event(TS_EV_SYNACK_RETRANSMIT, kServerChild, TS_NEW_SYN_RECV).at_ns(4000));
  ASSERT_FALSE(agg.has_counters());

  const ts_counters& t = agg.totals();
  EXPECT_EQ(t.transitions[TS_CLOSE][TS_SYN_SENT], 1u);
  EXPECT_EQ(t.transitions[TS_LAST_ACK][TS_CLOSE], 1u);
  EXPECT_EQ(t.time_wait_entered, 1u);
  EXPECT_EQ(t.retransmits[TS_ESTABLISHED], 1u);
  EXPECT_EQ(t.resets_sent, 1u);
  EXPECT_EQ(t.synack_retransmits, 1u);
  EXPECT_EQ(t.events_seen, 13u);
  EXPECT_EQ(t.events_lost, 0u);

  // The first reading of the kernel's counters replaces the estimate, it does not add to it.
  const ts_counters kernel = counters_for_connections(2);
  agg.on_counters(kernel, 1.0);
  EXPECT_EQ(std::memcmp(&agg.totals(), &kernel, sizeof kernel), 0);
  // Events after a reading no longer change the exact totals.
  agg.on_event(state_change(kClient, TS_CLOSE, TS_SYN_SENT));
  EXPECT_EQ(agg.totals().transitions[TS_CLOSE][TS_SYN_SENT], 2u);
}

TEST(AggregatorCounters, RatesComeFromTheLastInterval) {
  Aggregator agg;
  ts_counters first{};
  first.transitions[TS_ESTABLISHED][TS_FIN_WAIT1] = 100;
  first.retransmits[TS_ESTABLISHED] = 10;
  first.retransmits[TS_SYN_SENT] = 2;
  first.resets_sent = 5;
  first.time_wait_entered = 40;
  agg.on_counters(first, 10.0);

  // One reading: no interval yet, so no rate (and never a division by zero).
  EXPECT_EQ(agg.per_second(&ts_counters::resets_sent), 0.0);
  EXPECT_EQ(agg.transition_rate(TS_ESTABLISHED, TS_FIN_WAIT1), 0.0);
  EXPECT_EQ(agg.retransmit_rate(), 0.0);

  ts_counters second = first;
  second.transitions[TS_ESTABLISHED][TS_FIN_WAIT1] = 160;
  second.retransmits[TS_ESTABLISHED] = 16;
  second.retransmits[TS_SYN_SENT] = 6;
  second.resets_sent = 9;
  second.time_wait_entered = 50;
  agg.on_counters(second, 12.0);

  EXPECT_DOUBLE_EQ(agg.interval_seconds(), 2.0);
  EXPECT_DOUBLE_EQ(agg.per_second(&ts_counters::resets_sent), 2.0);
  EXPECT_DOUBLE_EQ(agg.per_second(&ts_counters::time_wait_entered), 5.0);
  EXPECT_DOUBLE_EQ(agg.transition_rate(TS_ESTABLISHED, TS_FIN_WAIT1), 30.0);
  EXPECT_DOUBLE_EQ(agg.transition_rate(TS_FIN_WAIT1, TS_FIN_WAIT2), 0.0);
  EXPECT_DOUBLE_EQ(agg.retransmit_rate(), 5.0) << "(16+6 - (10+2)) / 2 s, over all states";
  EXPECT_EQ(agg.totals().resets_sent, 9u);

  // A third reading half a second later: rates over that half second only.
  ts_counters third = second;
  third.resets_sent = 10;
  agg.on_counters(third, 12.5);
  EXPECT_DOUBLE_EQ(agg.interval_seconds(), 0.5);
  EXPECT_DOUBLE_EQ(agg.per_second(&ts_counters::resets_sent), 2.0);
  EXPECT_DOUBLE_EQ(agg.transition_rate(TS_ESTABLISHED, TS_FIN_WAIT1), 0.0);
  EXPECT_DOUBLE_EQ(agg.retransmit_rate(), 0.0);
}

TEST(AggregatorCounters, ReadingsAtTheSameInstantGiveNoRate) {
  Aggregator agg;
  ts_counters c{};
  agg.on_counters(c, 7.0);
  c.resets_received = 4;
  agg.on_counters(c, 7.0);
  EXPECT_EQ(agg.per_second(&ts_counters::resets_received), 0.0);
  EXPECT_EQ(agg.totals().resets_received, 4u);
}

// --- troubled flows ---

Ends client_port(uint16_t port) { return {"10.0.0.1", port, "10.0.0.2", 443}; }

TEST(AggregatorFlows, OrderedByRetransmitsThenResetsThenRecency) {
  Aggregator agg;
  const Ends a = client_port(1001), b = client_port(1002), c = client_port(1003), d = client_port(1004);
  for (uint64_t i = 0; i < 3; ++i) agg.on_event(flow_event(TS_EV_RETRANSMIT, a, TS_ESTABLISHED).at_ns(10 + i));
  agg.on_event(flow_event(TS_EV_RETRANSMIT, d, TS_ESTABLISHED).at_ns(20));  // oldest of the ties
  agg.on_event(flow_event(TS_EV_RETRANSMIT, b, TS_ESTABLISHED).at_ns(30));
  agg.on_event(flow_event(TS_EV_RESET_SENT, b, TS_ESTABLISHED).at_ns(31));
  agg.on_event(flow_event(TS_EV_RESET_RECEIVED, b, TS_ESTABLISHED).at_ns(32));
  agg.on_event(flow_event(TS_EV_RETRANSMIT, c, TS_SYN_SENT).at_ns(40).owner(4242, "client"));

  const auto flows = agg.troubled_flows(10);
  ASSERT_EQ(flows.size(), 4u);
  EXPECT_EQ(flows[0].key.local_port, 1001);
  EXPECT_EQ(flows[0].retransmits, 3u);
  EXPECT_EQ(flows[1].key.local_port, 1002);
  EXPECT_EQ(flows[1].resets, 2u);
  EXPECT_EQ(flows[2].key.local_port, 1003) << "equal trouble: the more recent first";
  EXPECT_EQ(flows[3].key.local_port, 1004);

  // The owner is kept where the event knew it, and unknown (0) elsewhere.
  EXPECT_EQ(flows[2].tgid, 4242u);
  EXPECT_EQ(flows[2].comm, "client");
  EXPECT_EQ(flows[2].state, TS_SYN_SENT);
  EXPECT_EQ(flows[0].tgid, 0u);
  EXPECT_EQ(flows[0].key.remote_port, 443);
  EXPECT_EQ(flows[0].key.remote, *parse_address("10.0.0.2"));

  const auto top2 = agg.troubled_flows(2);
  ASSERT_EQ(top2.size(), 2u);
  EXPECT_EQ(top2[0].key.local_port, 1001);
  EXPECT_EQ(top2[1].key.local_port, 1002);
  EXPECT_EQ(agg.events().retransmits, 6u);
  EXPECT_EQ(agg.events().resets_sent, 1u);
  EXPECT_EQ(agg.events().resets_received, 1u);
}

TEST(AggregatorFlows, CapEvictsTheLeastRecentlyTroubledAndCountsIt) {
  constexpr size_t kCap = 16;
  constexpr uint16_t kFlows = 40;
  Aggregator agg(kCap);
  for (uint16_t i = 0; i < kFlows; ++i)
    agg.on_event(flow_event(TS_EV_RETRANSMIT, client_port(static_cast<uint16_t>(2000 + i)), TS_ESTABLISHED)
                     .at_ns(1000u + i));

  const auto kept = agg.troubled_flows(1000);
  EXPECT_LE(kept.size(), kCap) << "the table never outgrows its cap";
  EXPECT_GE(kept.size(), kCap - kCap / 8);
  EXPECT_EQ(agg.flows_evicted() + kept.size(), kFlows) << "every flow is either kept or counted as evicted";
  EXPECT_EQ(agg.events().retransmits, kFlows) << "eviction loses rows, not counts";

  // The kept rows are exactly the most recently troubled flows.
  std::set<uint16_t> ports;
  for (const FlowTrouble& f : kept) ports.insert(f.key.local_port);
  for (uint16_t i = 0; i < kept.size(); ++i)
    EXPECT_TRUE(ports.count(static_cast<uint16_t>(2000 + kFlows - 1 - i))) << "recent flow " << i << " kept";
}

TEST(AggregatorFlows, RepeatTroubleOnAKeptFlowEvictsNothing) {
  Aggregator agg(4);
  for (uint16_t i = 0; i < 4; ++i)
    agg.on_event(flow_event(TS_EV_RETRANSMIT, client_port(static_cast<uint16_t>(3000 + i)), TS_ESTABLISHED).at_ns(i));
  for (uint64_t n = 0; n < 10; ++n)
    agg.on_event(flow_event(TS_EV_RESET_SENT, client_port(3000), TS_ESTABLISHED).at_ns(100 + n));
  EXPECT_EQ(agg.flows_evicted(), 0u);
  EXPECT_EQ(agg.troubled_flows(10).size(), 4u);

  // A fresh flow at the cap pushes out the flow troubled longest ago (3001), not the busy one.
  agg.on_event(flow_event(TS_EV_RETRANSMIT, client_port(3999), TS_ESTABLISHED).at_ns(500));
  EXPECT_EQ(agg.flows_evicted(), 1u);
  std::set<uint16_t> ports;
  for (const FlowTrouble& f : agg.troubled_flows(10)) ports.insert(f.key.local_port);
  EXPECT_EQ(ports, (std::set<uint16_t>{3000, 3002, 3003, 3999}));
}

TEST(AggregatorFlows, IPv6FlowsAreKeptApartFromIPv4) {
  Aggregator agg;
  agg.on_event(flow_event(TS_EV_RETRANSMIT, {"::1", 5000, "::1", 80}, TS_ESTABLISHED).at_ns(1));
  agg.on_event(flow_event(TS_EV_RETRANSMIT, {"127.0.0.1", 5000, "127.0.0.1", 80}, TS_ESTABLISHED).at_ns(2));
  agg.on_event(flow_event(TS_EV_RETRANSMIT, {"::1", 5000, "::1", 80}, TS_ESTABLISHED).at_ns(3));
  const auto flows = agg.troubled_flows(10);
  ASSERT_EQ(flows.size(), 2u);
  EXPECT_EQ(flows[0].key.local, *parse_address("::1"));
  EXPECT_EQ(flows[0].retransmits, 2u);
  EXPECT_EQ(flows[1].key.local, *parse_address("127.0.0.1"));
}

// --- TIME_WAIT entries: the kernel's verdict (a timewait socket in the hash), not the state pair ---

TEST(TimeWaitEntries, CountOnlyClosesTheKernelHandedToATimeWaitSocket) {
  Aggregator agg;
  // An abortive close after a half-close: FIN_WAIT2 -> CLOSE, but the kernel made no TIME_WAIT socket.
  agg.on_event(state_change(kClient, TS_FIN_WAIT2, TS_CLOSE).at_ns(10));
  // An orphaned FIN_WAIT2 handed to a timewait socket that still waits for the peer's FIN.
  agg.on_event(state_change(kClient, TS_FIN_WAIT2, TS_CLOSE).at_ns(20).flags(TS_F_TIME_WAIT | TS_F_FIN_WAIT2_TW));
  agg.on_event(state_change(kClient, TS_CLOSING, TS_CLOSE).at_ns(30).flags(TS_F_TIME_WAIT));
  EXPECT_EQ(agg.totals().time_wait_entered, 2u);
  EXPECT_EQ(agg.totals().fin_wait2_handed_over, 1u);
  EXPECT_EQ(agg.totals().transitions[TS_FIN_WAIT2][TS_CLOSE], 2u);
}

TEST(TimeWaitEntries, ExactlyOneOfTheTenTransitionsOfAPlainCloseIsTheHandOver) {
  int entered = 0;
  for (const ts_event& e : client_closes_first(kClient, 0)) entered += (e.flags & TS_F_TIME_WAIT) ? 1 : 0;
  EXPECT_EQ(entered, 1);
}

}  // namespace
}  // namespace tcpsight
