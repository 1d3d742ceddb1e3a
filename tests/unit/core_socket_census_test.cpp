// SocketCensus::from_records: what one iter/tcp snapshot says about the sockets of a namespace.
#include <gtest/gtest.h>

#include <vector>

#include "core/socket_census.hpp"
#include "core/tcp_state.hpp"
#include "core_test_input.hpp"

namespace tcpsight {
namespace {

using test::listener_record;
using test::sock_record;
using test::time_wait_record;

IpAddress addr(const char* text) { return *parse_address(text); }

TEST(SocketCensus, RequestSocketsAreCountedAsSynRecv) {
  const std::vector<ts_sock_record> records = {
      sock_record(TS_NEW_SYN_RECV, {"10.0.0.1", 80, "10.0.0.9", 50001}),
      sock_record(TS_NEW_SYN_RECV, {"10.0.0.1", 80, "10.0.0.9", 50002}),
      sock_record(TS_NEW_SYN_RECV, {"10.0.0.1", 80, "10.0.0.9", 50003}),
      sock_record(TS_SYN_RECV, {"10.0.0.1", 80, "10.0.0.9", 50004}),  // a full socket (e.g. fast open)
      sock_record(TS_ESTABLISHED, {"10.0.0.1", 80, "10.0.0.9", 50005}),
      listener_record("10.0.0.1", 80, 3, 0, 128),
  };
  const SocketCensus c = SocketCensus::from_records(records);
  EXPECT_EQ(c.by_state[TS_SYN_RECV], 4u) << "ss -tan state syn-recv counts both kinds";
  EXPECT_EQ(c.by_state[TS_NEW_SYN_RECV], 0u);
  EXPECT_EQ(c.request_sockets, 3u);
  EXPECT_EQ(c.by_state[TS_ESTABLISHED], 1u);
  EXPECT_EQ(c.by_state[TS_LISTEN], 1u);
  EXPECT_EQ(c.total, 6u);
}

TEST(SocketCensus, ListenersAreSortedByPortThenAddressWithTheirQueues) {
  const std::vector<ts_sock_record> records = {
      listener_record("10.0.0.2", 8080, 7, 2, 511),
      listener_record("0.0.0.0", 22, 0, 0, 128),
      listener_record("10.0.0.1", 8080, 1, 5, 64),
      listener_record("::", 443, 500, 0, 4096),
  };
  const SocketCensus c = SocketCensus::from_records(records);
  ASSERT_EQ(c.listeners.size(), 4u);

  EXPECT_EQ(c.listeners[0].port, 22);
  EXPECT_EQ(c.listeners[0].addr, addr("0.0.0.0"));
  EXPECT_EQ(c.listeners[0].max_backlog, 128u);

  EXPECT_EQ(c.listeners[1].port, 443);
  EXPECT_EQ(c.listeners[1].addr, addr("::"));
  EXPECT_EQ(c.listeners[1].syn_queue, 500u);
  EXPECT_EQ(c.listeners[1].max_backlog, 4096u);

  EXPECT_EQ(c.listeners[2].port, 8080);
  EXPECT_EQ(c.listeners[2].addr, addr("10.0.0.1"));
  EXPECT_EQ(c.listeners[2].syn_queue, 1u);
  EXPECT_EQ(c.listeners[2].accept_queue, 5u);
  EXPECT_EQ(c.listeners[2].max_backlog, 64u);

  EXPECT_EQ(c.listeners[3].port, 8080);
  EXPECT_EQ(c.listeners[3].addr, addr("10.0.0.2"));
  EXPECT_EQ(c.listeners[3].syn_queue, 7u);
  EXPECT_EQ(c.listeners[3].accept_queue, 2u);
  EXPECT_EQ(c.by_state[TS_LISTEN], 4u);
}

TEST(SocketCensus, TimeWaitCountRemainingLifetimesAndHistogram) {
  // Remaining lifetimes, deliberately out of order; one already past its expiry (negative).
  const int32_t remaining_ms[] = {59000, 1000, 30500, 4999, 61000, -5, 12000};
  std::vector<ts_sock_record> records;
  uint16_t port = 40000;
  for (int32_t ms : remaining_ms) records.push_back(time_wait_record({"127.0.0.1", port++, "127.0.0.1", 80}, ms));
  records.push_back(sock_record(TS_ESTABLISHED, {"127.0.0.1", 80, "127.0.0.1", 39999}));

  const SocketCensus c = SocketCensus::from_records(records);
  EXPECT_EQ(c.by_state[TS_TIME_WAIT], 7u);
  EXPECT_EQ(c.time_wait.count, 7u);
  // Sorted and clamped: 0, 1.0, 4.999, 12.0, 30.5, 59.0, 61.0 seconds.
  EXPECT_DOUBLE_EQ(c.time_wait.remaining_seconds.min, 0.0) << "an expired socket has no time left, not less";
  EXPECT_DOUBLE_EQ(c.time_wait.remaining_seconds.p50, 12.0);
  EXPECT_DOUBLE_EQ(c.time_wait.remaining_seconds.max, 61.0);

  // 5-second buckets; the last bucket also holds anything longer.
  const auto& h = c.time_wait.remaining_histogram;
  EXPECT_EQ(h[0], 3u) << "0, 1.0 and 4.999 s";
  EXPECT_EQ(h[2], 1u) << "12.0 s";
  EXPECT_EQ(h[6], 1u) << "30.5 s";
  EXPECT_EQ(h[h.size() - 1], 2u) << "59.0 and 61.0 s";
  uint64_t in_histogram = 0;
  for (uint64_t v : h) in_histogram += v;
  EXPECT_EQ(in_histogram, c.time_wait.count);
}

TEST(SocketCensus, EvenNumberOfTimeWaitSocketsHasAMedianBetweenTheMiddleTwo) {
  std::vector<ts_sock_record> records;
  uint16_t port = 1000;
  for (int32_t ms : {2000, 8000, 40000, 50000})
    records.push_back(time_wait_record({"127.0.0.1", port++, "127.0.0.1", 80}, ms));
  const Spread s = SocketCensus::from_records(records).time_wait.remaining_seconds;
  EXPECT_GE(s.p50, 8.0);
  EXPECT_LE(s.p50, 40.0);
  EXPECT_DOUBLE_EQ(s.min, 2.0);
  EXPECT_DOUBLE_EQ(s.max, 50.0);
}

TEST(SocketCensus, TopTimeWaitPeersLargestFirst) {
  std::vector<ts_sock_record> records;
  uint16_t port = 1000;
  auto add = [&](const char* peer, int n) {
    for (int i = 0; i < n; ++i) records.push_back(time_wait_record({"10.0.0.1", port++, peer, 80}, 30000));
  };
  add("10.0.0.3", 3);
  add("10.0.0.1", 1);
  add("10.0.0.2", 3);
  add("10.0.0.4", 5);

  const SocketCensus all = SocketCensus::from_records(records);
  ASSERT_EQ(all.time_wait.top_peers.size(), 4u);
  EXPECT_EQ(all.time_wait.top_peers[0].addr, addr("10.0.0.4"));
  EXPECT_EQ(all.time_wait.top_peers[0].sockets, 5u);
  EXPECT_EQ(all.time_wait.top_peers[1].addr, addr("10.0.0.2")) << "ties in address order";
  EXPECT_EQ(all.time_wait.top_peers[2].addr, addr("10.0.0.3"));
  EXPECT_EQ(all.time_wait.top_peers[3].addr, addr("10.0.0.1"));
  EXPECT_EQ(all.time_wait.top_peers[3].sockets, 1u);

  const SocketCensus top2 = SocketCensus::from_records(records, 2);
  ASSERT_EQ(top2.time_wait.top_peers.size(), 2u);
  EXPECT_EQ(top2.time_wait.top_peers[1].addr, addr("10.0.0.2"));
  EXPECT_EQ(top2.time_wait.count, 12u) << "limiting the peer list does not limit the count";
}

TEST(SocketCensus, IPv6Records) {
  const std::vector<ts_sock_record> records = {
      listener_record("::", 443, 2, 1, 1024),
      sock_record(TS_ESTABLISHED, {"2001:db8::1", 443, "2001:db8::2", 50000}),
      sock_record(TS_NEW_SYN_RECV, {"2001:db8::1", 443, "2001:db8::3", 50001}),
      time_wait_record({"2001:db8::1", 443, "2001:db8::2", 50002}, 45000),
      time_wait_record({"2001:db8::1", 443, "2001:db8::2", 50003}, 15000),
      time_wait_record({"::ffff:10.0.0.5", 443, "::ffff:10.0.0.6", 50004}, 20000),
  };
  const SocketCensus c = SocketCensus::from_records(records);
  EXPECT_EQ(c.total, 6u);
  EXPECT_EQ(c.by_state[TS_ESTABLISHED], 1u);
  EXPECT_EQ(c.by_state[TS_SYN_RECV], 1u);
  EXPECT_EQ(c.request_sockets, 1u);
  ASSERT_EQ(c.listeners.size(), 1u);
  EXPECT_EQ(format_endpoint(c.listeners[0].addr, c.listeners[0].port), "[::]:443");
  EXPECT_EQ(c.listeners[0].accept_queue, 1u);
  EXPECT_EQ(c.time_wait.count, 3u);
  EXPECT_DOUBLE_EQ(c.time_wait.remaining_seconds.p50, 20.0);
  ASSERT_EQ(c.time_wait.top_peers.size(), 2u);
  EXPECT_EQ(c.time_wait.top_peers[0].addr, addr("2001:db8::2"));
  EXPECT_EQ(c.time_wait.top_peers[0].sockets, 2u);
  EXPECT_EQ(format_address(c.time_wait.top_peers[1].addr), "::ffff:10.0.0.6");
}

TEST(SocketCensus, RecordsWithImpossibleStatesAreIgnored) {
  const std::vector<ts_sock_record> records = {
      sock_record(0, {"10.0.0.1", 1, "10.0.0.2", 2}),
      sock_record(TS_NSTATES, {"10.0.0.1", 1, "10.0.0.2", 3}),
      sock_record(255, {"10.0.0.1", 1, "10.0.0.2", 4}),
      sock_record(TS_CLOSE_WAIT, {"10.0.0.1", 1, "10.0.0.2", 5}),
  };
  const SocketCensus c = SocketCensus::from_records(records);
  EXPECT_EQ(c.total, 1u);
  EXPECT_EQ(c.by_state[TS_CLOSE_WAIT], 1u);
}

TEST(SocketCensus, EmptySnapshotIsAllZero) {
  const SocketCensus c = SocketCensus::from_records({});
  EXPECT_EQ(c.total, 0u);
  EXPECT_EQ(c.time_wait.count, 0u);
  EXPECT_EQ(c.time_wait.remaining_seconds.max, 0.0);
  EXPECT_TRUE(c.listeners.empty());
  EXPECT_TRUE(c.time_wait.top_peers.empty());
}

}  // namespace
}  // namespace tcpsight
