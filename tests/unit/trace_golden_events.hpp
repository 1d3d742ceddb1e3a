// The synthetic events of the trace golden files (tests/unit/golden/trace_*.txt): one of each kind
// and flag trace shows, over IPv4 and IPv6, with owners known, unknown and shared, and a process
// name built to break a terminal or a JSON line. The golden files hold, line for line, what trace
// prints for these; change one only with the other, and review the file's diff by eye.
#pragma once

#include <string>
#include <vector>

#include "core/event_format.hpp"
#include "core_test_input.hpp"

namespace tcpsight::test {

struct GoldenEvent {
  ts_event event;
  Owner owner;
};

// wall = monotonic + this: 1,700,000,000 s is 2023-11-14 22:13:20 UTC.
inline const Clock kGoldenClock{1'700'000'000.0};

// The kernel's enum sk_rst_reason names by value, as kernel_facts() reads them (index 2 left
// unnamed, as for a value the running kernel's BTF lacks).
inline const std::vector<std::string> kGoldenResetReasons = {"NOT_SPECIFIED", "NO_SOCKET", "", "TCP_ABORT_ON_DATA"};

inline Owner scanned_owner(uint32_t tgid, const char* comm, std::vector<uint32_t> holders) {
  Owner o;
  o.source = OwnerSource::scan;
  o.tgid = tgid;
  o.comm = comm;
  o.holders = std::move(holders);
  return o;
}

inline std::vector<GoldenEvent> golden_events() {
  const Ends v4{"10.1.2.3", 40000, "192.168.100.200", 443};
  const Ends v6{"2001:db8::1", 51000, "fe80::abcd:1", 8080};
  const auto by_event = [](const ts_event& e) { return GoldenEvent{e, named_by_event(e)}; };
  // "a\"b\\c", a newline, an ANSI colour sequence (ESC [ 3 1 m), a stray continuation byte and
  // 0xff: 16 bytes with no terminator, as the kernel fills comm.
  ts_event hostile = state_change(v4, TS_ESTABLISHED, TS_FIN_WAIT1).at_ns(1'000'011'000).owner(666, "x").cookie(11);
  const char name[16] = {'a', '"', 'b', '\\', 'c', '\n', '\x1b', '[', '3', '1', 'm', '\x80', 'z', '\xff', 'q', 'q'};
  std::memcpy(hostile.comm, name, sizeof name);

  return {
      // connect(): the kernel names the owner; the local port is not chosen yet.
      by_event(state_change({"10.1.2.3", 0, "192.168.100.200", 443}, TS_CLOSE, TS_SYN_SENT)
                   .at_ns(1'000'000'001)
                   .owner(4242, "curl")
                   .cookie(1)
                   .netns(4026531840u)),
      by_event(state_change(v4, TS_SYN_SENT, TS_ESTABLISHED)
                   .at_ns(1'000'001'500)
                   .timing(1'499'000)
                   .owner(4242, "curl")
                   .cookie(1)
                   .netns(4026531840u)),
      // Active close into TIME_WAIT over IPv6, nobody holding it any more.
      {state_change(v6, TS_FIN_WAIT2, TS_CLOSE)
           .at_ns(2'500'000'000)
           .timing(3'000'000, 250'000'000)
           .flags(TS_F_TIME_WAIT)
           .cookie(2)
           .netns(4026532001u),
       Owner{}},
      // An orphaned FIN_WAIT2 handed to a timewait socket; lifetime unknown (opened before tracing).
      {state_change(v4, TS_FIN_WAIT2, TS_CLOSE)
           .at_ns(2'600'000'000)
           .timing(125'000)
           .flags(TS_F_TIME_WAIT | TS_F_FIN_WAIT2_TW)
           .cookie(3),
       Owner{}},
      // A reset close: no TIME_WAIT, no timing.
      {state_change(v6, TS_ESTABLISHED, TS_CLOSE).at_ns(2'700'000'000).flags(TS_F_RESET).cookie(4), Owner{}},
      // Retransmit of 3 segments on a listener's child a pre-fork server shares: owner from a scan.
      [&] {
        ts_event e = flow_event(TS_EV_RETRANSMIT, v4.reversed(), TS_ESTABLISHED).at_ns(3'000'000'000).cookie(5);
        e.segs = 3;
        return GoldenEvent{e, scanned_owner(100, "nginx", {100, 101, 102})};
      }(),
      // A retransmit whose buffer count the kernel left 0: one segment.
      {flow_event(TS_EV_RETRANSMIT, v6, TS_SYN_SENT).at_ns(3'000'500'000).cookie(6),
       scanned_owner(7, "client", {7})},
      {flow_event(TS_EV_SYNACK_RETRANSMIT, v6.reversed(), TS_NEW_SYN_RECV).at_ns(3'100'000'000).cookie(7), Owner{}},
      // A reset for a segment no socket wanted (6.10+), with the kernel's reason.
      [&] {
        ts_event e = flow_event(TS_EV_RESET_SENT, {"10.1.2.3", 9, "10.9.9.9", 55555}, TS_CLOSE)
                         .at_ns(4'000'000'000)
                         .flags(TS_F_NO_SOCKET);
        e.reason = 1;
        return GoldenEvent{e, Owner{}};
      }(),
      // A reset sent on a socket, without a reason (before 6.10: reason 0).
      {flow_event(TS_EV_RESET_SENT, v4, TS_ESTABLISHED).at_ns(4'100'000'000).cookie(8),
       scanned_owner(4242, "curl", {4242})},
      // Reasons the running kernel has no name for: unnamed and past the end of the list.
      [&] {
        ts_event e = flow_event(TS_EV_RESET_SENT, v4, TS_ESTABLISHED).at_ns(4'200'000'000).cookie(9);
        e.reason = 2;
        return GoldenEvent{e, Owner{}};
      }(),
      [&] {
        ts_event e = flow_event(TS_EV_RESET_SENT, v6, TS_CLOSE_WAIT).at_ns(4'300'000'000).cookie(10);
        e.reason = 77;
        return GoldenEvent{e, Owner{}};
      }(),
      {flow_event(TS_EV_RESET_RECEIVED, v4, TS_ESTABLISHED).at_ns(4'400'000'000).flags(TS_F_RESET).cookie(8),
       Owner{}},
      by_event(hostile),
  };
}

}  // namespace tcpsight::test
