#include "core/aggregator.hpp"

#include <algorithm>
#include <cstring>
#include <functional>

#include "core/counter_totals.hpp"

namespace tcpsight {

size_t FlowKeyHash::operator()(const FlowKey& k) const noexcept {
  size_t h = std::hash<uint32_t>{}((uint32_t{k.local_port} << 16) | k.remote_port);
  for (const auto* addr : {&k.local, &k.remote})
    for (size_t i = 0; i < addr->bytes.size(); i += 4) {
      uint32_t w = 0;
      for (size_t j = 0; j < 4; ++j) w = (w << 8) | addr->bytes[i + j];
      h = h * 1000003u ^ w;
    }
  return h;
}

namespace {
// What one event adds to the totals while no kernel counters have been read yet.
void add_to_estimate(ts_counters& c, const ts_event& e) {
  ++c.events_seen;
  const auto o = static_cast<size_t>(e.old_state) % TS_NSTATES, n = static_cast<size_t>(e.new_state) % TS_NSTATES;
  switch (e.kind) {
    case TS_EV_STATE:
      ++c.transitions[o][n];
      if (e.flags & TS_F_TIME_WAIT) ++c.time_wait_entered;
      if (e.flags & TS_F_FIN_WAIT2_TW) ++c.fin_wait2_handed_over;
      if (n == TS_CLOSE && (e.flags & TS_F_RESET)) ++c.closed_after_reset[o];
      break;
    case TS_EV_RETRANSMIT: c.retransmits[n] += e.segs ? e.segs : 1; break;
    case TS_EV_SYNACK_RETRANSMIT: ++c.synack_retransmits; break;
    case TS_EV_RESET_SENT: ++c.resets_sent; break;
    case TS_EV_RESET_RECEIVED: ++c.resets_received; break;
    default: break;
  }
}
}  // namespace

Aggregator::Aggregator(size_t flow_capacity) : flow_capacity_(std::max<size_t>(flow_capacity, 1)) {}

void Aggregator::on_counters(const ts_counters& totals, double now_s) {
  if (has_counters_) {
    previous_ = totals_;
    interval_s_ = now_s - last_counters_s_;
    has_previous_ = true;
  }
  totals_ = totals;
  last_counters_s_ = now_s;
  has_counters_ = true;
}

void Aggregator::on_snapshot(SocketCensus census) {
  census_ = std::move(census);
  has_census_ = true;
}

double Aggregator::per_second(__u64 ts_counters::*field) const {
  if (!has_previous_ || interval_s_ <= 0) return 0;
  return static_cast<double>(totals_.*field - previous_.*field) / interval_s_;
}

double Aggregator::transition_rate(int old_state, int new_state) const {
  if (!has_previous_ || interval_s_ <= 0) return 0;
  const auto o = static_cast<size_t>(old_state) % TS_NSTATES, n = static_cast<size_t>(new_state) % TS_NSTATES;
  return static_cast<double>(totals_.transitions[o][n] - previous_.transitions[o][n]) / interval_s_;
}

double Aggregator::retransmit_rate() const {
  if (!has_previous_ || interval_s_ <= 0) return 0;
  return static_cast<double>(total_retransmits(totals_) - total_retransmits(previous_)) / interval_s_;
}

void Aggregator::on_event(const ts_event& e) {
  ++tally_.received;
  if (!has_counters_) add_to_estimate(totals_, e);  // totals() promises the events' word until then
  const auto o = static_cast<size_t>(e.old_state) % TS_NSTATES, n = static_cast<size_t>(e.new_state) % TS_NSTATES;
  switch (e.kind) {
    case TS_EV_STATE:
      ++tally_.transitions[o][n];
      if (e.flags & TS_F_TIME_WAIT) ++tally_.time_wait_entered;
      if (e.new_state == TS_CLOSE && (e.flags & TS_F_TIMING_KNOWN) && e.lifetime_ns) {
        ++tally_.closed_with_lifetime;
        tally_.lifetime_ns_sum += e.lifetime_ns;
      }
      if (!flows_.empty()) {  // keep a troubled flow's state current; its row outlives the close
        auto it = flows_.find(FlowKey{IpAddress::from_raw(e.family, e.saddr), IpAddress::from_raw(e.family, e.daddr),
                                      e.sport, e.dport});
        if (it != flows_.end()) it->second.state = e.new_state;
      }
      return;
    case TS_EV_RETRANSMIT:
      ++tally_.retransmits;
      break;
    case TS_EV_SYNACK_RETRANSMIT:
      ++tally_.synack_retransmits;
      return;  // the listener's, not a flow's
    case TS_EV_RESET_SENT:
      ++tally_.resets_sent;
      break;
    case TS_EV_RESET_RECEIVED:
      ++tally_.resets_received;
      break;
    default:
      return;
  }
  note_trouble(e);
}

void Aggregator::note_trouble(const ts_event& e) {
  const FlowKey key{IpAddress::from_raw(e.family, e.saddr), IpAddress::from_raw(e.family, e.daddr), e.sport,
                    e.dport};
  auto it = flows_.find(key);
  if (it == flows_.end()) {
    if (flows_.size() >= flow_capacity_) {
      // Evict the least recently troubled eighth at once, so eviction stays cheap per event.
      std::vector<std::pair<uint64_t, FlowKey>> by_age;
      by_age.reserve(flows_.size());
      for (const auto& [k, f] : flows_) by_age.emplace_back(f.last_ns, k);
      const size_t drop = std::max<size_t>(flows_.size() / 8, 1);
      std::nth_element(by_age.begin(), by_age.begin() + static_cast<std::ptrdiff_t>(drop - 1), by_age.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      for (size_t i = 0; i < drop; ++i) flows_.erase(by_age[i].second);
      flows_evicted_ += drop;
    }
    FlowTrouble fresh;
    fresh.key = key;
    it = flows_.emplace(key, std::move(fresh)).first;
  }
  FlowTrouble& f = it->second;
  if (e.kind == TS_EV_RETRANSMIT)
    ++f.retransmits;
  else
    ++f.resets;
  f.state = e.new_state;
  f.last_ns = e.ts_ns;
  f.cookie = e.cookie;
  if (e.flags & TS_F_OWNER_KNOWN) {
    f.tgid = e.tgid;
    f.comm.assign(e.comm, strnlen(e.comm, sizeof e.comm));
  }
}

std::vector<FlowTrouble> Aggregator::troubled_flows(size_t n) const {
  std::vector<FlowTrouble> out;
  out.reserve(flows_.size());
  for (const auto& [k, f] : flows_) out.push_back(f);
  const size_t keep = std::min(n, out.size());
  std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(keep), out.end(),
                    [](const FlowTrouble& a, const FlowTrouble& b) {
                      if (a.retransmits != b.retransmits) return a.retransmits > b.retransmits;
                      if (a.resets != b.resets) return a.resets > b.resets;
                      return a.last_ns > b.last_ns;
                    });
  out.resize(keep);
  return out;
}

}  // namespace tcpsight
