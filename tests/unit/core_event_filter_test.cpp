// EventFilter: the trace options --port, --addr, --pid and --state, as a user combines them.
#include <gtest/gtest.h>

#include <sys/socket.h>

#include "core/event_filter.hpp"
#include "core_test_input.hpp"

namespace tcpsight {
namespace {

using test::Ends;
using test::flow_event;
using test::state_change;

const Ends kV4{"10.0.0.1", 40000, "10.0.0.2", 8080};

TEST(EventFilter, EmptyFilterMatchesEverything) {
  const EventFilter any;
  EXPECT_TRUE(any.matches(state_change(kV4, TS_CLOSE, TS_SYN_SENT)));
  EXPECT_TRUE(any.matches(flow_event(TS_EV_RETRANSMIT, kV4, TS_ESTABLISHED)));
}

TEST(EventFilter, PortMatchesEitherEnd) {
  EventFilter f;
  f.ports = {8080};
  EXPECT_TRUE(f.matches(state_change(kV4, TS_SYN_SENT, TS_ESTABLISHED))) << "remote port";
  EXPECT_TRUE(f.matches(state_change(kV4.reversed(), TS_SYN_RECV, TS_ESTABLISHED))) << "local port";
  EXPECT_FALSE(f.matches(state_change({"10.0.0.1", 40000, "10.0.0.2", 8081}, TS_SYN_SENT, TS_ESTABLISHED)));

  f.ports = {22, 40000};  // several --port options: any of them
  EXPECT_TRUE(f.matches(state_change(kV4, TS_SYN_SENT, TS_ESTABLISHED)));
  f.ports = {22, 443};
  EXPECT_FALSE(f.matches(state_change(kV4, TS_SYN_SENT, TS_ESTABLISHED)));
}

TEST(EventFilter, AddressMatchesEitherEnd) {
  EventFilter f;
  f.addr = parse_address("10.0.0.2");
  EXPECT_TRUE(f.matches(state_change(kV4, TS_SYN_SENT, TS_ESTABLISHED)));
  EXPECT_TRUE(f.matches(state_change(kV4.reversed(), TS_SYN_RECV, TS_ESTABLISHED)));
  f.addr = parse_address("10.0.0.3");
  EXPECT_FALSE(f.matches(state_change(kV4, TS_SYN_SENT, TS_ESTABLISHED)));
}

TEST(EventFilter, IPv4AddressMatchesIPv4MappedIPv6Sockets) {
  const Ends mapped{"::ffff:10.0.0.1", 40000, "::ffff:10.0.0.2", 8080};
  EventFilter f;
  f.addr = parse_address("10.0.0.2");
  EXPECT_TRUE(f.matches(state_change(mapped, TS_SYN_SENT, TS_ESTABLISHED))) << "dual-stack socket, IPv4 peer";
  f.addr = parse_address("::ffff:10.0.0.1");
  EXPECT_TRUE(f.matches(state_change(kV4, TS_SYN_SENT, TS_ESTABLISHED))) << "and the other way round";
  f.addr = parse_address("10.0.0.9");
  EXPECT_FALSE(f.matches(state_change(mapped, TS_SYN_SENT, TS_ESTABLISHED)));
  // A plain IPv6 address whose last four bytes happen to spell 10.0.0.2 is another host.
  f.addr = parse_address("2001:db8::a00:2");
  EXPECT_FALSE(f.matches(state_change(kV4, TS_SYN_SENT, TS_ESTABLISHED)));
  f.addr = parse_address("10.0.0.2");
  EXPECT_FALSE(f.matches(state_change({"2001:db8::1", 1, "2001:db8::a00:2", 2}, TS_SYN_SENT, TS_ESTABLISHED)));
}

TEST(EventFilter, IPv6AddressMatch) {
  EventFilter f;
  f.addr = parse_address("[::1]");
  EXPECT_TRUE(f.matches(state_change({"::1", 5000, "::1", 80}, TS_SYN_SENT, TS_ESTABLISHED)));
  EXPECT_FALSE(f.matches(state_change(kV4, TS_SYN_SENT, TS_ESTABLISHED)));
}

TEST(EventFilter, PidMatchesOnlyAKnownOwner) {
  EventFilter f;
  f.pid = 4242;
  EXPECT_TRUE(f.matches(state_change(kV4, TS_CLOSE, TS_SYN_SENT).owner(4242, "curl")));
  EXPECT_FALSE(f.matches(state_change(kV4, TS_CLOSE, TS_SYN_SENT).owner(4243, "curl")));
  EXPECT_FALSE(f.matches(state_change(kV4, TS_FIN_WAIT2, TS_CLOSE))) << "owner unknown: never a match";

  // Even if the unknown owner's tgid field happened to hold the pid, it is not trusted.
  ts_event stale = state_change(kV4, TS_FIN_WAIT2, TS_CLOSE);
  stale.tgid = 4242;
  EXPECT_FALSE(f.matches(stale));

  f.pid = 0;  // pid 0 is not "anyone": unknown owners still do not match
  EXPECT_FALSE(f.matches(state_change(kV4, TS_FIN_WAIT2, TS_CLOSE)));
}

TEST(EventFilter, PidMatchesTheAttributedOwnerOrAnyHolder) {
  EventFilter f;
  f.pid = 101;
  Owner listener;  // a pre-fork listener: the parent shown, the children hold it too
  listener.source = OwnerSource::event;
  listener.tgid = 100;
  listener.holders = {100, 101, 102};
  EXPECT_TRUE(f.matches(state_change(kV4, TS_LISTEN, TS_CLOSE), listener));
  listener.holders = {100, 102};
  EXPECT_FALSE(f.matches(state_change(kV4, TS_LISTEN, TS_CLOSE), listener));
  EXPECT_FALSE(f.matches(state_change(kV4, TS_CLOSE, TS_SYN_SENT).owner(101, "x"), Owner{}))
      << "the attributed owner decides, not the event's fields";
}

TEST(EventFilter, StateMatchesOldOrNew) {
  EventFilter f;
  f.states = {TS_FIN_WAIT2};
  EXPECT_TRUE(f.matches(state_change(kV4, TS_FIN_WAIT1, TS_FIN_WAIT2))) << "new state";
  EXPECT_TRUE(f.matches(state_change(kV4, TS_FIN_WAIT2, TS_CLOSE))) << "old state";
  EXPECT_FALSE(f.matches(state_change(kV4, TS_ESTABLISHED, TS_FIN_WAIT1)));
  EXPECT_TRUE(f.matches(flow_event(TS_EV_RETRANSMIT, kV4, TS_FIN_WAIT2))) << "a retransmit in that state";

  f.states = {TS_LISTEN, TS_CLOSE_WAIT};
  EXPECT_TRUE(f.matches(state_change(kV4, TS_ESTABLISHED, TS_CLOSE_WAIT)));
  EXPECT_TRUE(f.matches(state_change(kV4, TS_LISTEN, TS_SYN_RECV)));
  EXPECT_FALSE(f.matches(state_change(kV4, TS_SYN_SENT, TS_ESTABLISHED)));
}

TEST(EventFilter, SynRecvCoversRequestSockets) {
  EventFilter f;
  f.states = {TS_SYN_RECV};
  EXPECT_TRUE(f.matches(flow_event(TS_EV_SYNACK_RETRANSMIT, kV4.reversed(), TS_NEW_SYN_RECV)));
  f.states = {TS_NEW_SYN_RECV};
  EXPECT_TRUE(f.matches(state_change(kV4.reversed(), TS_SYN_RECV, TS_ESTABLISHED)));
}

TEST(EventFilter, TimeWaitMatchesTheHandOverToATimeWaitSocket) {
  EventFilter f;
  f.states = {TS_TIME_WAIT};  // --state time-wait
  EXPECT_TRUE(f.matches(state_change(kV4, TS_FIN_WAIT2, TS_CLOSE).flags(TS_F_TIME_WAIT)));
  EXPECT_TRUE(f.matches(state_change(kV4, TS_CLOSING, TS_CLOSE).flags(TS_F_TIME_WAIT)));
  EXPECT_FALSE(f.matches(state_change(kV4, TS_FIN_WAIT2, TS_CLOSE))) << "closed without TIME_WAIT (e.g. a reset)";
  EXPECT_FALSE(f.matches(state_change(kV4.reversed(), TS_LAST_ACK, TS_CLOSE))) << "the passive close";
  EXPECT_FALSE(f.matches(state_change(kV4, TS_FIN_WAIT1, TS_FIN_WAIT2)));
  EXPECT_FALSE(f.matches(flow_event(TS_EV_RETRANSMIT, kV4, TS_FIN_WAIT2).flags(TS_F_TIME_WAIT)))
      << "only state events hand over";
  EXPECT_TRUE(f.matches(flow_event(TS_EV_RESET_SENT, kV4, TS_TIME_WAIT))) << "an event in that state still matches";

  f.states = {TS_FIN_WAIT2};  // the hand-over also leaves FIN_WAIT2
  EXPECT_TRUE(f.matches(state_change(kV4, TS_FIN_WAIT2, TS_CLOSE).flags(TS_F_TIME_WAIT)));
  f.states = {TS_ESTABLISHED};
  EXPECT_FALSE(f.matches(state_change(kV4, TS_FIN_WAIT2, TS_CLOSE).flags(TS_F_TIME_WAIT)));
}

TEST(EventFilter, AllConditionsMustHold) {
  EventFilter f;
  f.ports = {8080};
  f.addr = parse_address("10.0.0.2");
  f.pid = 7;
  f.states = {TS_SYN_SENT};
  const ts_event hit = state_change(kV4, TS_CLOSE, TS_SYN_SENT).owner(7, "app");
  EXPECT_TRUE(f.matches(hit));
  EXPECT_FALSE(f.matches(state_change(kV4, TS_CLOSE, TS_SYN_SENT).owner(8, "app")));
  EXPECT_FALSE(f.matches(state_change({"10.0.0.1", 40000, "10.0.0.3", 8080}, TS_CLOSE, TS_SYN_SENT).owner(7, "app")));
  EXPECT_FALSE(f.matches(state_change({"10.0.0.1", 40000, "10.0.0.2", 9090}, TS_CLOSE, TS_SYN_SENT).owner(7, "app")));
  EXPECT_FALSE(f.matches(state_change(kV4, TS_ESTABLISHED, TS_FIN_WAIT1).owner(7, "app")));
}

// What trace asks the kernel to filter (bpf/stream_filter.bpf.h) before records reach the ring buffer.
TEST(KernelStreamFilter, EmptyFilterAsksNothing) { EXPECT_EQ(kernel_stream_filter(EventFilter{}), KernelStreamFilter{}); }

TEST(KernelStreamFilter, PortsUpToTheKernelsRoomElseLeftToUserSpace) {
  EventFilter f;
  f.ports = {443, 8080};
  const KernelStreamFilter k = kernel_stream_filter(f);
  EXPECT_EQ(k.nports, 2u);
  EXPECT_EQ(k.ports[0], 443);
  EXPECT_EQ(k.ports[1], 8080);

  f.ports.assign(TS_FILTER_MAX_PORTS + 1, 1);
  EXPECT_EQ(kernel_stream_filter(f).nports, 0u) << "more ports than the kernel holds: user space alone";
}

TEST(KernelStreamFilter, IPv4AndIPv4MappedAddressesAreMatchedByTheirIPv4Part) {
  EventFilter f;
  f.addr = parse_address("10.0.0.2");
  KernelStreamFilter k = kernel_stream_filter(f);
  EXPECT_EQ(k.addr_family, AF_INET);
  EXPECT_EQ((std::array<uint8_t, 4>{k.addr[0], k.addr[1], k.addr[2], k.addr[3]}), (std::array<uint8_t, 4>{10, 0, 0, 2}));

  f.addr = parse_address("::ffff:10.0.0.2");
  EXPECT_EQ(kernel_stream_filter(f), k) << "same_host() treats the mapped address as the IPv4 one";
}

TEST(KernelStreamFilter, IPv6AddressIsMatchedWhole) {
  EventFilter f;
  f.addr = parse_address("2001:db8::1");
  const KernelStreamFilter k = kernel_stream_filter(f);
  EXPECT_EQ(k.addr_family, AF_INET6);
  EXPECT_EQ(k.addr, f.addr->bytes);
}

// A socket whose port the kernel released may show a zero address until keep_tuple() restores its
// own: only user space, which sees the restored tuple, judges a wildcard filter.
TEST(KernelStreamFilter, WildcardAddressesAreLeftToUserSpace) {
  for (const char* any : {"0.0.0.0", "::", "::ffff:0.0.0.0"}) {
    EventFilter f;
    f.addr = parse_address(any);
    EXPECT_EQ(kernel_stream_filter(f).addr_family, 0) << any;
  }
}

TEST(KernelStreamFilter, StatesAsReportedWithTimeWaitAsTheHandOver) {
  EventFilter f;
  f.states = {TS_NEW_SYN_RECV, TS_ESTABLISHED};
  KernelStreamFilter k = kernel_stream_filter(f);
  EXPECT_EQ(k.states, (1u << TS_SYN_RECV) | (1u << TS_ESTABLISHED)) << "request sockets as SYN_RECV";
  EXPECT_FALSE(k.time_wait);

  f.states = {TS_TIME_WAIT};
  k = kernel_stream_filter(f);
  EXPECT_EQ(k.states, 1u << TS_TIME_WAIT);
  EXPECT_TRUE(k.time_wait);
}

TEST(KernelStreamFilter, PidIsNeverAskedOfTheKernel) {
  EventFilter f;
  f.pid = 42;
  EXPECT_EQ(kernel_stream_filter(f), KernelStreamFilter{}) << "owners are attributed in user space";
}

}  // namespace
}  // namespace tcpsight
