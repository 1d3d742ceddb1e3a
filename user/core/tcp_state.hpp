// TCP state names as the kernel spells them, and the order users see them in.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "tcpsight/abi.h"

namespace tcpsight {

// The kernel's name of a state number ("ESTABLISHED", "NEW_SYN_RECV"); "UNKNOWN" outside 1..12.
std::string_view state_name(int state);

// Accepts kernel names and ss's spellings, any case: "SYN_RECV", "syn-recv", "time-wait".
std::optional<int> parse_state(std::string_view text);

// The states reported as socket counts, in display order. Request sockets are folded into SYN_RECV.
inline constexpr std::array<int, 10> kReportedStates = {
    TS_ESTABLISHED, TS_SYN_SENT,  TS_SYN_RECV, TS_FIN_WAIT1, TS_FIN_WAIT2,
    TS_TIME_WAIT,   TS_CLOSE_WAIT, TS_LAST_ACK, TS_LISTEN,   TS_CLOSING,
};

// Transitions that always mean trouble: a connect refused or timed out (SYN_SENT->CLOSE), a
// handshake dropped (SYN_RECV->CLOSE), an abort of an open connection (ESTABLISHED->CLOSE and
// CLOSE_WAIT->CLOSE: a normal close passes through FIN_WAIT1 or LAST_ACK). Closes from FIN_WAIT1,
// FIN_WAIT2, CLOSING and LAST_ACK are normal unless a reset came first (closed_after_reset).
constexpr bool abnormal_transition(int from, int to) {
  return to == TS_CLOSE && (from == TS_SYN_SENT || from == TS_SYN_RECV || from == TS_ESTABLISHED ||
                            from == TS_CLOSE_WAIT);
}

// The state a socket is reported under: request sockets (NEW_SYN_RECV) count as SYN_RECV.
constexpr int reported_state(int state) { return state == TS_NEW_SYN_RECV ? TS_SYN_RECV : state; }

}  // namespace tcpsight
