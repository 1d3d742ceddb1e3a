// The sockets behind a number, as an operator drills into them: one row per socket of a details
// pass (ts_sock_detail) with its holder from the owner scan that followed it, and the same
// grouped by process. Pure: no kernel calls.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/address.hpp"
#include "core/owner_index.hpp"
#include "tcpsight/abi.h"

namespace tcpsight {

struct SocketRow {
  IpAddress local, remote;
  uint16_t local_port = 0, remote_port = 0;
  int state = 0;  // reported_state(): request sockets are SYN_RECV
  bool request_socket = false;
  uint64_t cookie = 0;
  uint32_t tgid = 0;  // 0: no process holds it (TIME_WAIT, orphans, request sockets), or not found
  std::string comm;
  size_t other_holders = 0;       // more processes holding it (a pre-fork listener)
  std::vector<uint32_t> holders;  // every process holding it, lowest first (tgid is the first)
  std::optional<double> in_state_s;  // nullopt: it changed state before tcpsight watched it
  uint32_t recv_q = 0, send_q = 0;
  bool full = false;  // a full socket: the tcp_info figures below are the kernel's
  uint32_t srtt_us = 0, rttvar_us = 0, snd_cwnd = 0, snd_ssthresh = 0, total_retrans = 0, retrans_out = 0,
           rto_ms = 0, uid = 0, syn_queue = 0;
  uint64_t bytes_acked = 0, bytes_received = 0, bytes_sent = 0;
  int32_t time_wait_remaining_ms = 0;
};

// `now_ns`: CLOCK_MONOTONIC at the pass, for the time in state.
std::vector<SocketRow> socket_rows(std::span<const ts_sock_detail> details, const OwnerIndex& owners,
                                   uint64_t now_ns);

// One process and the sockets it holds. A socket held by several processes counts for each of them,
// as `ss -tanp` lists it under each.
struct ProcessRow {
  uint32_t tgid = 0;  // 0: the sockets no process holds
  std::string comm;
  uint64_t sockets = 0;
  std::array<uint64_t, TS_NSTATES> by_state{};
  std::vector<uint16_t> listening_ports;  // ascending, no duplicates
  // From the flow table (events): retransmitted segments and resets on its sockets.
  uint64_t retransmits = 0, resets = 0;
  double retransmits_per_s = 0, resets_per_s = 0;
};

// Per process, most sockets first, then by pid; the sockets no process holds last. `owners`: the
// same owner scan as the rows (a row names only its lowest holder).
std::vector<ProcessRow> process_rows(std::span<const SocketRow> rows, const OwnerIndex& owners);

// One listening socket, its queues and the connections on its address and port.
struct ListenerDetail {
  IpAddress addr;  // 0.0.0.0 or :: for every address
  uint16_t port = 0;
  uint64_t cookie = 0;
  uint32_t syn_queue = 0;     // request sockets (half-open)
  uint32_t accept_queue = 0;  // established children not yet accepted (ss Recv-Q)
  uint32_t backlog = 0;       // listen() backlog (ss Send-Q)
  std::vector<uint32_t> pids;  // every process holding it, lowest first
  // Listening sockets bound to this same address and port (SO_REUSEPORT), this one included: the
  // connections below are theirs together, as the tuple cannot tell which one took each.
  size_t sharing = 1;
  // The other sockets of this address and port, by state: the children, accepted or not, request
  // sockets as SYN_RECV, and what they became (CLOSE_WAIT, TIME_WAIT, ...). A socket goes to the
  // listener bound to its own address before one bound to every address; an IPv4 socket to a
  // dual-stack `::` listener when no IPv4 one has its port.
  std::array<uint64_t, TS_NSTATES> connections{};
};

// Every listening socket of `rows`, by port, then address.
std::vector<ListenerDetail> listener_details(std::span<const SocketRow> rows);

}  // namespace tcpsight
