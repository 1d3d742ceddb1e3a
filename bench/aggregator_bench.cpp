// Google Benchmark of tcpsight's pure user-space work, one core: what each event, snapshot and
// report costs once the kernel has handed it over. items_per_second is events (or records) per
// second per core.
#include <benchmark/benchmark.h>

#include <cstring>
#include <string>
#include <vector>

#include "core/aggregator.hpp"
#include "core/event_format.hpp"
#include "core/socket_census.hpp"
#include "core/stats_report.hpp"
#include "tcpsight/abi.h"

namespace {

using tcpsight::Aggregator;

void set_ipv4(uint8_t (&field)[16], uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  std::memset(field, 0, sizeof field);
  field[0] = a, field[1] = b, field[2] = c, field[3] = d;
}

// One event of connection `flow`: 10.x.y.z:port -> 192.0.2.(flow % 50):443.
ts_event event_of(uint32_t flow, uint8_t kind, uint8_t old_state, uint8_t new_state) {
  ts_event e{};
  e.kind = kind;
  e.family = 2;  // AF_INET
  e.old_state = old_state;
  e.new_state = new_state;
  e.cookie = flow + 1;
  e.ts_ns = 1'000'000'000ull + flow;
  e.prev_state_ns = 250'000;
  e.lifetime_ns = new_state == TS_CLOSE ? 3'000'000 : 0;
  e.tgid = 1234;
  std::memcpy(e.comm, "curl", 5);
  e.flags = TS_F_OWNER_KNOWN | TS_F_TIMING_KNOWN;
  set_ipv4(e.saddr, 10, static_cast<uint8_t>(flow >> 16), static_cast<uint8_t>(flow >> 8), static_cast<uint8_t>(flow));
  set_ipv4(e.daddr, 192, 0, 2, static_cast<uint8_t>(flow % 50));
  e.sport = static_cast<uint16_t>(1024 + flow % 60000);
  e.dport = 443;
  return e;
}

// The ten state events of a client-closed connection, over `flows` connections.
std::vector<ts_event> state_events(uint32_t flows) {
  static constexpr uint8_t kSteps[10][2] = {
      {TS_CLOSE, TS_SYN_SENT},       {TS_LISTEN, TS_SYN_RECV},       {TS_SYN_SENT, TS_ESTABLISHED},
      {TS_SYN_RECV, TS_ESTABLISHED}, {TS_ESTABLISHED, TS_FIN_WAIT1}, {TS_ESTABLISHED, TS_CLOSE_WAIT},
      {TS_FIN_WAIT1, TS_FIN_WAIT2},  {TS_CLOSE_WAIT, TS_LAST_ACK},   {TS_LAST_ACK, TS_CLOSE},
      {TS_FIN_WAIT2, TS_CLOSE}};
  std::vector<ts_event> out;
  out.reserve(size_t{flows} * 10);
  for (uint32_t f = 0; f < flows; ++f)
    for (const auto& s : kSteps) out.push_back(event_of(f, TS_EV_STATE, s[0], s[1]));
  return out;
}

std::vector<ts_event> retransmit_events(uint32_t flows) {
  std::vector<ts_event> out;
  out.reserve(flows);
  for (uint32_t f = 0; f < flows; ++f) out.push_back(event_of(f, TS_EV_RETRANSMIT, TS_ESTABLISHED, TS_ESTABLISHED));
  return out;
}

void feed(benchmark::State& state, Aggregator& agg, const std::vector<ts_event>& events) {
  size_t i = 0;
  for (auto _ : state) {
    agg.on_event(events[i]);
    if (++i == events.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}

// State events while no flow has had trouble: the common case, no flow-table lookup.
void BM_OnEvent_State_EmptyFlowTable(benchmark::State& state) {
  Aggregator agg;
  feed(state, agg, state_events(1000));
}
BENCHMARK(BM_OnEvent_State_EmptyFlowTable);

// State events while the flow table is full (4096 troubled flows): one lookup per event.
void BM_OnEvent_State_FullFlowTable(benchmark::State& state) {
  Aggregator agg;
  for (const ts_event& e : retransmit_events(4096)) agg.on_event(e);
  feed(state, agg, state_events(4096));
}
BENCHMARK(BM_OnEvent_State_FullFlowTable);

// Retransmits of flows already in the table: a lookup and an update.
void BM_OnEvent_Retransmit_Hit(benchmark::State& state) {
  Aggregator agg;
  const auto events = retransmit_events(static_cast<uint32_t>(state.range(0)));
  for (const ts_event& e : events) agg.on_event(e);
  feed(state, agg, events);
}
BENCHMARK(BM_OnEvent_Retransmit_Hit)->Arg(1000)->Arg(4000);

// Retransmits of ever new flows: inserts, and evictions once the table is at its cap.
void BM_OnEvent_Retransmit_NewFlows(benchmark::State& state) {
  Aggregator agg;
  const auto events = retransmit_events(100'000);  // far more than the cap: each is new again
  feed(state, agg, events);
  state.counters["flows_evicted"] =
      benchmark::Counter(static_cast<double>(agg.flows_evicted()), benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_OnEvent_Retransmit_NewFlows);

// A snapshot as the iterator hands it over: mostly TIME_WAIT, some established, a few listeners.
std::vector<ts_sock_record> snapshot_records(size_t n) {
  std::vector<ts_sock_record> out(n);
  for (size_t i = 0; i < n; ++i) {
    ts_sock_record& r = out[i];
    r.family = 2;
    const auto k = static_cast<uint32_t>(i);
    set_ipv4(r.saddr, 127, 0, 0, 1);
    set_ipv4(r.daddr, 127, 0, static_cast<uint8_t>(k % 8), static_cast<uint8_t>(1 + k % 200));
    r.sport = static_cast<uint16_t>(1024 + k % 60000);
    r.dport = static_cast<uint16_t>(8000 + k % 4);
    if (i % 1000 == 0) {
      r.state = TS_LISTEN;
      r.syn_queue = 3;
      r.accept_queue = 1;
      r.max_backlog = 4096;
    } else if (i % 10 == 0) {
      r.state = TS_ESTABLISHED;
    } else {
      r.state = TS_TIME_WAIT;
      r.time_wait_remaining_ms = static_cast<int32_t>(k % 60000);
    }
  }
  return out;
}

void BM_SocketCensus_FromRecords(benchmark::State& state) {
  const auto records = snapshot_records(static_cast<size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(tcpsight::SocketCensus::from_records(records));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_SocketCensus_FromRecords)->Arg(20'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

// One `stats --json` report: an aggregator with counters of a busy host and a 100k-socket census.
void BM_StatsJson(benchmark::State& state) {
  Aggregator agg;
  ts_counters c{};
  for (int o = 1; o < 12; ++o)
    for (int n = 1; n < 12; ++n) c.transitions[o][n] = static_cast<uint64_t>(o * 1000 + n);
  c.retransmits[TS_ESTABLISHED] = 1234;
  c.events_seen = 999'999;
  agg.on_counters(c, 1.0);
  agg.on_counters(c, 2.0);
  agg.on_snapshot(tcpsight::SocketCensus::from_records(snapshot_records(100'000)));
  for (auto _ : state) benchmark::DoNotOptimize(tcpsight::stats_json(agg, 1.7e9).dump());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StatsJson)->Unit(benchmark::kMicrosecond);

// Per-event rendering of `trace --json` and of the text trace.
void BM_TraceJson(benchmark::State& state) {
  const auto events = state_events(100);
  const tcpsight::Clock clock = tcpsight::Clock::now();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(tcpsight::trace_json(events[i], clock));
    if (++i == events.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TraceJson);

// The owners trace hands the formatter with each event (here the ones the events name).
std::vector<tcpsight::Owner> owners_of(const std::vector<ts_event>& events) {
  std::vector<tcpsight::Owner> out;
  for (const ts_event& e : events) out.push_back(tcpsight::named_by_event(e));
  return out;
}

// What trace runs per event: the line appended to one buffer reused for every event.
void BM_TraceJsonIntoBuffer(benchmark::State& state) {
  const auto events = state_events(100);
  const tcpsight::Clock clock = tcpsight::Clock::now();
  const auto owners = owners_of(events);
  fmt::memory_buffer line;
  size_t i = 0;
  for (auto _ : state) {
    line.clear();
    tcpsight::append_trace_json(line, events[i], owners[i], clock);
    benchmark::DoNotOptimize(line.data());
    if (++i == events.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TraceJsonIntoBuffer);

void BM_FormatTraceLine(benchmark::State& state) {
  const auto events = state_events(100);
  const tcpsight::Clock clock = tcpsight::Clock::now();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(tcpsight::format_trace_line(events[i], clock));
    if (++i == events.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FormatTraceLine);

void BM_FormatTraceLineIntoBuffer(benchmark::State& state) {
  const auto events = state_events(100);
  const tcpsight::Clock clock = tcpsight::Clock::now();
  const auto owners = owners_of(events);
  fmt::memory_buffer line;
  size_t i = 0;
  for (auto _ : state) {
    line.clear();
    tcpsight::append_trace_line(line, events[i], owners[i], clock);
    benchmark::DoNotOptimize(line.data());
    if (++i == events.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FormatTraceLineIntoBuffer);

}  // namespace

BENCHMARK_MAIN();
