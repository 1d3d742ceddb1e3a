#include "core/stats_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <vector>

#include "core/counter_totals.hpp"
#include "core/snapshot_pacer.hpp"
#include "core/tcp_state.hpp"
#include "core/wall_clock.hpp"

namespace tcpsight {

namespace {

struct TransitionCount {
  int from, to;
  uint64_t count;
  double per_second;
};

std::vector<TransitionCount> nonzero_transitions(const Aggregator& agg) {
  std::vector<TransitionCount> out;
  for (int o = 0; o < TS_NSTATES; ++o)
    for (int n = 0; n < TS_NSTATES; ++n)
      if (const uint64_t v = agg.totals().transitions[o][n]) out.push_back({o, n, v, agg.transition_rate(o, n)});
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.count > b.count; });
  return out;
}

std::string endpoint(const ListenerQueue& l) { return format_endpoint(l.addr, l.port); }

}  // namespace

nlohmann::json stats_json(const Aggregator& agg, double wall_time_s) {
  const ts_counters& c = agg.totals();
  const SocketCensus& census = agg.census();

  nlohmann::json sockets = nlohmann::json::object();
  for (int s : kReportedStates) sockets[std::string(state_name(s))] = census.by_state[static_cast<size_t>(s)];

  nlohmann::json transitions = nlohmann::json::array();
  for (const auto& t : nonzero_transitions(agg))
    transitions.push_back({{"from", state_name(t.from)}, {"to", state_name(t.to)}, {"count", t.count},
                           {"per_second", t.per_second}});

  nlohmann::json retrans_by_state = nlohmann::json::object();
  for (int s = 1; s < TS_NSTATES; ++s)
    if (c.retransmits[s]) retrans_by_state[std::string(state_name(s))] = c.retransmits[s];

  nlohmann::json listeners = nlohmann::json::array();
  for (const auto& l : census.listeners)
    listeners.push_back({{"local", endpoint(l)},
                         {"syn_queue", l.syn_queue},
                         {"accept_queue", l.accept_queue},
                         {"max_backlog", l.max_backlog}});

  nlohmann::json peers = nlohmann::json::array();
  for (const auto& p : census.time_wait.top_peers) peers.push_back({{"remote", format_address(p.addr)}, {"sockets", p.sockets}});
  const Spread& tw = census.time_wait.remaining_seconds;

  return {
      {"time", wall_time_s},
      {"interval_seconds", agg.interval_seconds()},
      {"sockets", sockets},
      {"snapshot_age_seconds", agg.snapshot_age()},
      {"request_sockets", census.request_sockets},
      {"transitions", transitions},
      {"retransmits", total_retransmits(c)},
      {"retransmits_by_state", retrans_by_state},
      {"synack_retransmits", c.synack_retransmits},
      {"retransmits_failed", c.retransmits_failed},
      {"resets_sent", c.resets_sent},
      {"resets_sent_no_socket", c.resets_sent_no_socket},
      {"resets_received", c.resets_received},
      {"fin_wait2_handed_over", c.fin_wait2_handed_over},
      {"listeners", listeners},
      {"time_wait",
       {{"count", census.time_wait.count},
        {"entered", c.time_wait_entered},
        {"remaining_seconds", {{"min", tw.min}, {"p50", tw.p50}, {"max", tw.max}}},
        {"top_peers", peers}}},
      {"events", {{"received", c.events_seen}, {"lost", c.events_lost}, {"missed", agg.events_missed()}}},
  };
}

std::string stats_text(const Aggregator& agg, double wall_time_s) {
  const ts_counters& c = agg.totals();
  const SocketCensus& census = agg.census();
  std::string out = fmt::format("--- {}  {} sockets", local_hms(wall_time_s), census.total);
  if (agg.snapshot_age() >= kStaleSnapshotSeconds)
    out += fmt::format(" (snapshot {:.1f} s old: see --snapshot-cpu)", agg.snapshot_age());
  out += "\n";
  out += "sockets:    ";
  for (int s : kReportedStates) out += fmt::format(" {} {}", state_name(s), census.by_state[static_cast<size_t>(s)]);
  out += "\ntransitions:";
  const auto transitions = nonzero_transitions(agg);
  if (transitions.empty()) out += " none";
  for (const auto& t : transitions)
    out += fmt::format(" {}->{} {} ({:.1f}/s)", state_name(t.from), state_name(t.to), t.count, t.per_second);
  out += fmt::format("\nretransmits {} ({:.1f}/s)  synack_retransmits {}  resets sent {} received {}\n",
                     total_retransmits(c), agg.retransmit_rate(), c.synack_retransmits, c.resets_sent,
                     c.resets_received);
  const auto& tw = census.time_wait;
  out += fmt::format("time_wait   {} now, {} entered ({:.1f}/s), remaining min {:.1f} s  p50 {:.1f} s  max {:.1f} s\n",
                     tw.count, c.time_wait_entered, agg.per_second(&ts_counters::time_wait_entered),
                     tw.remaining_seconds.min, tw.remaining_seconds.p50, tw.remaining_seconds.max);
  if (c.fin_wait2_handed_over)
    out += fmt::format("fin_wait2   {} orphaned connections kept by the kernel until the peer's FIN or a timeout\n",
                       c.fin_wait2_handed_over);
  for (const auto& l : census.listeners)
    out += fmt::format("listen      {:<30} syn queue {}  accept queue {}/{}\n", endpoint(l), l.syn_queue, l.accept_queue,
                       l.max_backlog);
  out += fmt::format("events      {} received, {} lost, {} missed by the kernel\n", c.events_seen, c.events_lost,
                     agg.events_missed());
  return out;
}

}  // namespace tcpsight
