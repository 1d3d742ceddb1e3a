#include "top/top_model.hpp"

#include <algorithm>
#include <cstdint>
#include <tuple>
#include <unordered_set>

#include "core/counter_totals.hpp"
#include "core/flow_owner.hpp"
#include "core/socket_rows.hpp"
#include "core/tcp_state.hpp"

namespace tcpsight {

namespace {

constexpr size_t kTopPeers = 20;
constexpr size_t kTopDestinations = 20;

double kernel_rate(const KernelCounters& now, const KernelCounters& before, const char* key, double seconds) {
  const auto a = now.find(key), b = before.find(key);
  if (a == now.end() || b == before.end() || seconds <= 0 || a->second < b->second) return 0;
  return static_cast<double>(a->second - b->second) / seconds;
}

}  // namespace

TopModel::TopModel(HostInfo host, double start_s, size_t flow_capacity)
    : aggregator_(flow_capacity), start_s_(start_s) {
  frame_.host = std::move(host);
}

void TopModel::refresh(const TopReading& reading) {
  aggregator_.on_counters(reading.counters, reading.now_s);
  // Between paced snapshots, what comes from the snapshot stays as it was: no false trends.
  const bool fresh = reading.snapshot_fresh;
  if (fresh)
    aggregator_.on_snapshot(reading.census ? *reading.census : SocketCensus::from_records(reading.sockets, kTopPeers));

  const ts_counters& c = aggregator_.totals();
  const SocketCensus& census = aggregator_.census();
  frame_.uptime_s = reading.now_s - start_s_;
  frame_.wall_time_s = reading.wall_s;
  frame_.interval_s = aggregator_.interval_seconds();
  frame_.has_rates = frame_.interval_s > 0;
  frame_.events_per_s = aggregator_.per_second(&ts_counters::events_seen);
  frame_.events_lost = c.events_lost;
  frame_.sockets_total = census.total;
  frame_.snapshot_age_s = reading.snapshot_age_s;

  if (fresh) fill_states(reading.now_s);
  fill_transitions();
  fill_kernel_rates(reading.kernel, reading.now_s);
  frame_.synack_retransmits_per_s = aggregator_.per_second(&ts_counters::synack_retransmits);
  if (fresh) fill_half_open();

  frame_.time_wait_entered_per_s = aggregator_.per_second(&ts_counters::time_wait_entered);
  if (fresh) {
    frame_.time_wait = census.time_wait;
    frame_.port_range = reading.port_range;
    frame_.destinations = reading.port_range ? ephemeral_ports_by_destination(reading.sockets, *reading.port_range)
                                             : std::vector<DestinationPorts>{};
    if (frame_.destinations.size() > kTopDestinations) frame_.destinations.resize(kTopDestinations);
  }

  frame_.retransmits = total_retransmits(c);
  frame_.resets_sent = c.resets_sent;
  frame_.resets_received = c.resets_received;
  frame_.retransmits_per_s = aggregator_.retransmit_rate();
  frame_.resets_sent_per_s = aggregator_.per_second(&ts_counters::resets_sent);
  frame_.resets_received_per_s = aggregator_.per_second(&ts_counters::resets_received);
  fill_flows(reading, reading.now_s);
  fill_details(reading);
}

bool TopModel::wants_owner_scan(const OwnerIndex& owners) const {
  return flows_want_owner_scan(aggregator_.troubled_flows(SIZE_MAX), owners);
}

void TopModel::fill_states(double now_s) {
  const auto& by_state = aggregator_.census().by_state;
  const double interval = now_s - previous_states_s_;  // since the previous snapshot
  frame_.states.clear();
  for (int s : kReportedStates) {
    const auto i = static_cast<size_t>(s);
    StateRow row{s, by_state[i], 0};
    if (previous_by_state_ && interval > 0)
      row.change_per_s = (static_cast<double>(by_state[i]) - static_cast<double>((*previous_by_state_)[i])) / interval;
    frame_.states.push_back(row);
  }
  previous_by_state_ = by_state;
  previous_states_s_ = now_s;
}

void TopModel::fill_transitions() {
  const ts_counters& c = aggregator_.totals();
  const double interval = aggregator_.interval_seconds();
  frame_.transitions.clear();
  for (int o = 0; o < TS_NSTATES; ++o)
    for (int n = 0; n < TS_NSTATES; ++n)
      if (const uint64_t total = c.transitions[o][n])
        frame_.transitions.push_back({o, n, aggregator_.transition_rate(o, n), total, abnormal_transition(o, n)});
  // The closes of states a normal close passes through too, counted apart when a reset came first.
  for (int o = 0; o < TS_NSTATES; ++o) {
    const uint64_t total = c.closed_after_reset[o];
    if (!total || abnormal_transition(o, TS_CLOSE)) continue;
    const uint64_t before = previous_closed_after_reset_[static_cast<size_t>(o)];
    const double per_s = interval > 0 && total >= before ? static_cast<double>(total - before) / interval : 0;
    frame_.transitions.push_back({o, TS_CLOSE, per_s, total, true, true});
  }
  for (int o = 0; o < TS_NSTATES; ++o) previous_closed_after_reset_[static_cast<size_t>(o)] = c.closed_after_reset[o];
  // What an operator looks for first, whatever its rate: the abnormal ones, then the busiest.
  std::sort(frame_.transitions.begin(), frame_.transitions.end(), [](const TransitionRow& a, const TransitionRow& b) {
    if (a.abnormal != b.abnormal) return a.abnormal;
    if (a.per_s != b.per_s) return a.per_s > b.per_s;
    if (a.total != b.total) return a.total > b.total;
    return std::tuple(a.from, a.to, a.after_reset) < std::tuple(b.from, b.to, b.after_reset);
  });
}

void TopModel::fill_kernel_rates(const KernelCounters& kernel, double now_s) {
  frame_.kernel_counters_known = !kernel.empty();
  const double seconds = now_s - previous_kernel_s_;
  frame_.listen_overflows_per_s = kernel_rate(kernel, previous_kernel_, "TcpExt.ListenOverflows", seconds);
  frame_.listen_drops_per_s = kernel_rate(kernel, previous_kernel_, "TcpExt.ListenDrops", seconds);
  frame_.syncookies_sent_per_s = kernel_rate(kernel, previous_kernel_, "TcpExt.SyncookiesSent", seconds);
  previous_kernel_ = kernel;
  previous_kernel_s_ = now_s;
}

void TopModel::fill_half_open() {
  const SocketCensus& census = aggregator_.census();
  frame_.syn_sent = census.by_state[TS_SYN_SENT];
  frame_.syn_recv = census.by_state[TS_SYN_RECV];
  frame_.request_sockets = census.request_sockets;

  std::map<std::pair<IpAddress, uint16_t>, ListenerTrend> trends;
  frame_.listeners.clear();
  for (const ListenerQueue& l : census.listeners) {
    const auto key = std::pair(l.addr, l.port);
    ListenerTrend trend{l.syn_queue, 0};
    if (const auto it = listener_trends_.find(key); it != listener_trends_.end())
      trend.growth_streak = l.syn_queue > it->second.syn_queue ? it->second.growth_streak + 1 : 0;
    trends[key] = trend;

    ListenerRow row{l.addr, l.port, l.syn_queue, l.accept_queue, l.max_backlog};
    // The kernel drops (or answers with cookies) once a queue reaches the listen() backlog.
    row.accept_queue_full = l.max_backlog > 0 && l.accept_queue >= l.max_backlog;
    row.syn_queue_full = l.max_backlog > 0 && l.syn_queue >= l.max_backlog;
    row.syn_queue_growing = trend.growth_streak >= kGrowthRefreshes;
    frame_.listeners.push_back(row);
  }
  listener_trends_ = std::move(trends);

  const auto load = [](const ListenerRow& l) {
    return std::tuple(l.accept_queue_full || l.syn_queue_full || l.syn_queue_growing,
                      uint64_t{l.syn_queue} + l.accept_queue);
  };
  std::stable_sort(frame_.listeners.begin(), frame_.listeners.end(),
                   [&](const ListenerRow& a, const ListenerRow& b) { return load(a) > load(b); });
}

namespace {

// The 4-tuples of a snapshot's connections, to tell which flows still have a socket.
std::unordered_set<FlowKey, FlowKeyHash> open_tuples(std::span<const ts_sock_record> sockets) {
  std::unordered_set<FlowKey, FlowKeyHash> out;
  out.reserve(sockets.size());
  for (const ts_sock_record& r : sockets)
    out.insert({IpAddress::from_raw(r.family, r.saddr), IpAddress::from_raw(r.family, r.daddr), r.sport, r.dport});
  return out;
}

}  // namespace

void TopModel::fill_flows(const TopReading& reading, double now_s) {
  static const OwnerIndex no_scan;
  const OwnerIndex* owners = reading.owners;
  const double interval = now_s - previous_flows_s_;
  const bool rates = previous_flows_s_ > 0;  // a previous refresh exists
  // Which flows' sockets are gone: top streams no state events, so a flow's last event rarely says
  // it closed; the snapshot does (built only when some flow has been quiet long enough to go).
  const bool snapshot_known = !reading.census;  // top -A's readings carry a census, not the records
  std::optional<std::unordered_set<FlowKey, FlowKeyHash>> open;
  std::unordered_map<FlowKey, FlowTotals, FlowKeyHash> totals;
  frame_.flows.clear();
  for (const FlowTrouble& f : aggregator_.troubled_flows(SIZE_MAX)) {
    totals[f.key] = {f.retransmits, f.resets};
    // A flow whose socket is gone stays a while, so that its last trouble can be read, then goes.
    if (now_s - static_cast<double>(f.last_ns) / 1e9 > kClosedFlowLingerSeconds) {
      bool closed = f.state == TS_CLOSE || f.state == TS_TIME_WAIT;
      if (!closed && snapshot_known) {
        if (!open) open = open_tuples(reading.sockets);
        closed = !open->count(f.key);
      }
      if (closed) continue;
    }
    const Owner owner = flow_owner(f, owners ? *owners : no_scan);
    FlowRow row{f.key.local, f.key.remote, f.key.local_port, f.key.remote_port, f.state, f.retransmits,
                f.resets, owner.tgid, owner.comm, f.last_ns, owner.other_holders()};
    if (rates && interval > 0) {
      const auto before = previous_flows_.find(f.key);
      const FlowTotals was = before == previous_flows_.end() ? FlowTotals{} : before->second;
      row.retransmits_per_s = static_cast<double>(f.retransmits - std::min(was.retransmits, f.retransmits)) / interval;
      row.resets_per_s = static_cast<double>(f.resets - std::min(was.resets, f.resets)) / interval;
    }
    frame_.flows.push_back(std::move(row));
  }
  previous_flows_ = std::move(totals);
  previous_flows_s_ = now_s;
  frame_.flows_evicted = aggregator_.flows_evicted();
}

void TopModel::fill_details(const TopReading& reading) {
  frame_.details_known = reading.details_taken;
  if (!reading.details_taken) {
    frame_.sockets.clear();
    frame_.processes.clear();
    return;
  }
  static const OwnerIndex no_scan;
  const OwnerIndex& owners = reading.detail_owners ? *reading.detail_owners : no_scan;
  frame_.details_age_s = std::max(reading.now_s - static_cast<double>(reading.details_ns) / 1e9, 0.0);
  frame_.sockets = socket_rows(reading.details, owners, reading.details_ns);
  frame_.processes = process_rows(frame_.sockets, owners);
  // Trouble per process: the flows' event counts, under the process the flow table names.
  std::map<uint32_t, ProcessRow*> by_tgid;
  for (ProcessRow& p : frame_.processes) by_tgid[p.tgid] = &p;
  for (const FlowRow& f : frame_.flows)
    if (const auto it = by_tgid.find(f.tgid); it != by_tgid.end()) {
      it->second->retransmits += f.retransmits;
      it->second->resets += f.resets;
      it->second->retransmits_per_s += f.retransmits_per_s;
      it->second->resets_per_s += f.resets_per_s;
    }
}

}  // namespace tcpsight
