// The pure heart of tcpsight: turns kernel counters, snapshots and events into what the
// front ends show. No kernel calls; unit tests feed it synthetic input.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/address.hpp"
#include "core/socket_census.hpp"
#include "tcpsight/abi.h"

namespace tcpsight {

// What the event stream alone says (exact only while no event is lost).
struct EventTally {
  uint64_t received = 0;
  uint64_t transitions[TS_NSTATES][TS_NSTATES] = {};
  uint64_t time_wait_entered = 0;
  uint64_t retransmits = 0;
  uint64_t synack_retransmits = 0;
  uint64_t resets_sent = 0;
  uint64_t resets_received = 0;
  uint64_t closed_with_lifetime = 0;  // ->CLOSE events whose lifetime is known
  uint64_t lifetime_ns_sum = 0;
};

struct FlowKey {
  IpAddress local, remote;
  uint16_t local_port = 0, remote_port = 0;
  bool operator==(const FlowKey&) const = default;
};

struct FlowKeyHash {
  size_t operator()(const FlowKey& k) const noexcept;
};

// Per-connection trouble: retransmits and resets, with the owner where it is known.
struct FlowTrouble {
  FlowKey key;
  uint64_t cookie = 0;  // the socket of its last event
  uint64_t retransmits = 0;
  uint64_t resets = 0;
  int state = 0;  // last state seen
  uint32_t tgid = 0;  // 0: no event named the owner
  std::string comm;
  uint64_t last_ns = 0;
};

class Aggregator {
 public:
  explicit Aggregator(size_t flow_capacity = 4096);

  // Exact totals since attach, summed over CPUs; `now_s` is a monotonic time in seconds.
  void on_counters(const ts_counters& totals, double now_s);
  void on_snapshot(SocketCensus census);
  // How old the census is: snapshots are paced on hosts with many sockets (SnapshotPacer).
  void on_snapshot_age(double age_s) { census_age_s_ = age_s; }
  double snapshot_age() const { return census_age_s_; }
  // Tracepoint hits the kernel skipped (recursion guard); they are in no count.
  void on_events_missed(uint64_t missed) { events_missed_ = missed; }
  uint64_t events_missed() const { return events_missed_; }
  void on_event(const ts_event& e);

  // Exact totals when the kernel's counters have been read, else what the events said.
  const ts_counters& totals() const { return totals_; }
  bool has_counters() const { return has_counters_; }
  // Change of a counter per second over the last counter interval (0 before two readings).
  double per_second(__u64 ts_counters::*field) const;
  double transition_rate(int old_state, int new_state) const;
  double retransmit_rate() const;
  double interval_seconds() const { return interval_s_; }

  const SocketCensus& census() const { return census_; }
  bool has_census() const { return has_census_; }
  const EventTally& events() const { return tally_; }

  // Flows with the most retransmits and resets, largest first.
  std::vector<FlowTrouble> troubled_flows(size_t n) const;
  uint64_t flows_evicted() const { return flows_evicted_; }

 private:
  void note_trouble(const ts_event& e);

  size_t flow_capacity_;
  ts_counters totals_{};
  ts_counters previous_{};
  bool has_counters_ = false;
  bool has_previous_ = false;
  double last_counters_s_ = 0;
  double interval_s_ = 0;
  SocketCensus census_;
  bool has_census_ = false;
  double census_age_s_ = 0;
  EventTally tally_;
  std::unordered_map<FlowKey, FlowTrouble, FlowKeyHash> flows_;
  uint64_t flows_evicted_ = 0;
  uint64_t events_missed_ = 0;
};

}  // namespace tcpsight
