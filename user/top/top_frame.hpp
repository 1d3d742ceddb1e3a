// What one refresh of `tcpsight top` shows: plain data, filled by TopModel, drawn by the layout.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/address.hpp"
#include "core/ephemeral_ports.hpp"
#include "core/socket_census.hpp"
#include "core/socket_rows.hpp"

namespace tcpsight {

struct HostInfo {
  std::string hostname;
  std::string kernel;  // release, e.g. "6.18.44"
  std::string netns;   // "ts-top-12" (ip netns name), "host", else "inode 4026532571"
};

struct StateRow {
  int state = 0;
  uint64_t count = 0;
  double change_per_s = 0;
};

struct TransitionRow {
  int from = 0, to = 0;
  double per_s = 0;
  uint64_t total = 0;  // since tcpsight started
  bool abnormal = false;  // a refused or timed-out connect, an abort, a dropped handshake
  bool after_reset = false;  // ->CLOSE: only the closes that came after a reset (of a state a
                             // normal close passes through too)
};

struct ListenerRow {
  IpAddress addr;
  uint16_t port = 0;
  uint32_t syn_queue = 0, accept_queue = 0, max_backlog = 0;
  bool accept_queue_full = false;
  bool syn_queue_full = false;
  bool syn_queue_growing = false;  // grew at each of the last few refreshes: a SYN flood?
};

struct FlowRow {
  IpAddress local, remote;
  uint16_t local_port = 0, remote_port = 0;
  int state = 0;
  uint64_t retransmits = 0, resets = 0;
  uint32_t tgid = 0;  // 0: owner unknown (nobody holds the socket, or not known yet)
  std::string comm;
  uint64_t last_ns = 0;
  size_t other_holders = 0;  // more processes holding the socket (a shared listener)
  double retransmits_per_s = 0, resets_per_s = 0;  // over the last refresh interval
};

// top -A: one namespace in the list, with what tells which one needs a look.
struct NamespaceRow {
  uint32_t inode = 0;
  std::string name;  // what users know it by (NamespaceIdentity)
  std::string kind;
  bool gone = false;  // vanished: these are its final figures
  uint64_t sockets = 0, established = 0, time_wait = 0, syn_recv = 0;
  double retransmits_per_s = 0, resets_per_s = 0;
  double listen_overflows_per_s = 0;  // its own TcpExt.ListenOverflows
  bool has_rates = false;
};

struct TopFrame {
  HostInfo host;
  // top -A and --netns: the figures are one namespace's (or the list's), whose snapshots are taken
  // round by round, so the header always says how old they are.
  bool netns_scoped = false;
  std::vector<NamespaceRow> namespaces;  // top -A's list, unsorted: the view sorts it
  double uptime_s = 0;
  double wall_time_s = 0;
  double interval_s = 0;
  bool has_rates = false;  // false until two readings exist

  double events_per_s = 0;
  uint64_t events_lost = 0;
  uint64_t sockets_total = 0;
  double snapshot_age_s = 0;  // snapshots are paced on hosts with many sockets

  std::vector<StateRow> states;            // every reported state, display order
  std::vector<TransitionRow> transitions;  // non-zero totals, busiest (by rate, then total) first

  // Half-open connections and listeners.
  uint64_t syn_sent = 0, syn_recv = 0, request_sockets = 0;
  double synack_retransmits_per_s = 0;
  bool kernel_counters_known = false;
  double listen_overflows_per_s = 0, listen_drops_per_s = 0, syncookies_sent_per_s = 0;
  std::vector<ListenerRow> listeners;  // most loaded first

  // TIME_WAIT.
  TimeWaitCensus time_wait;
  double time_wait_entered_per_s = 0;
  std::optional<PortRange> port_range;
  std::vector<DestinationPorts> destinations;  // ephemeral ports by destination, largest first

  // Retransmits, resets and the flows behind them.
  uint64_t retransmits = 0, resets_sent = 0, resets_received = 0;
  double retransmits_per_s = 0, resets_sent_per_s = 0, resets_received_per_s = 0;
  std::vector<FlowRow> flows;  // tracked flows, unsorted: the view sorts and filters (closed ones age out)
  uint64_t flows_evicted = 0;

  // The drill-down and the processes view: every socket with its details and holder, taken only
  // while one of them is on screen.
  bool details_known = false;
  double details_age_s = 0;
  std::vector<SocketRow> sockets;
  std::vector<ProcessRow> processes;
};

}  // namespace tcpsight
