// flow_memory: peak memory of the Aggregator after many events over many distinct flows.
//
//   flow_memory [--events N] [--flows F] [--capacity C]
//
// Feeds N synthetic events (default 10,000,000) over F distinct connections (default 1,000,000)
// into one Aggregator, generated on the fly so the generator itself holds no memory. A thousand
// connections are open at a time; each lives through the ten state events of a client-closed
// loopback connection, except that one in four retransmits twice while ESTABLISHED and one in
// ten is ended by a reset instead of its FIN exchange. Retransmits and resets put a connection
// into the per-flow table, which is capped (--capacity, default the Aggregator's own).
//
// Prints one line of key=value pairs: the process's peak RSS before and after (getrusage
// ru_maxrss), the flows the table evicted, and the event rate.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "core/aggregator.hpp"
#include "tcpsight/abi.h"

namespace {

struct FlowMemoryOptions {
  uint64_t events = 10'000'000;
  uint64_t flows = 1'000'000;
  std::optional<size_t> capacity;
};

constexpr uint64_t kOpenAtOnce = 1000;
constexpr uint64_t kEventsPerFlow = 10;

[[noreturn]] void usage_error(const std::string& why) {
  std::fprintf(stderr, "flow_memory: %s\nusage: flow_memory [--events N] [--flows F] [--capacity C]\n", why.c_str());
  std::exit(2);
}

uint64_t count_of(const std::string& option, const char* text) {
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text, &end, 10);
  if (end == text || *end != '\0' || v == 0) usage_error(option + " takes a positive integer");
  return v;
}

FlowMemoryOptions parse_options(int argc, char** argv) {
  FlowMemoryOptions o;
  for (int i = 1; i < argc; i += 2) {
    const std::string name = argv[i];
    if (i + 1 >= argc) usage_error("missing value for " + name);
    if (name == "--events") o.events = count_of(name, argv[i + 1]);
    else if (name == "--flows") o.flows = count_of(name, argv[i + 1]);
    else if (name == "--capacity") o.capacity = count_of(name, argv[i + 1]);
    else usage_error("unknown option " + name);
  }
  return o;
}

long peak_rss_kb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

// The ten state changes of a client-closed loopback connection (both ends), in the order seen.
struct Transition {
  uint8_t from, to;
};
constexpr Transition kClientClose[kEventsPerFlow] = {
    {TS_CLOSE, TS_SYN_SENT},        {TS_LISTEN, TS_SYN_RECV},        {TS_SYN_SENT, TS_ESTABLISHED},
    {TS_SYN_RECV, TS_ESTABLISHED},  {TS_ESTABLISHED, TS_FIN_WAIT1},  {TS_ESTABLISHED, TS_CLOSE_WAIT},
    {TS_FIN_WAIT1, TS_FIN_WAIT2},   {TS_CLOSE_WAIT, TS_LAST_ACK},    {TS_LAST_ACK, TS_CLOSE},
    {TS_FIN_WAIT2, TS_CLOSE},
};

struct Mix {
  uint64_t state = 0, retransmit = 0, reset = 0;
};

// Event `step` of connection `flow`: which kind it is depends on the connection's number.
ts_event synthetic_event(uint64_t flow, uint64_t step, uint64_t now_ns, Mix& mix) {
  ts_event e{};
  e.ts_ns = now_ns;
  e.cookie = flow + 1;
  e.family = 2;  // AF_INET
  const auto f = static_cast<uint32_t>(flow);
  const uint8_t local[4] = {10, static_cast<uint8_t>(f >> 16), static_cast<uint8_t>(f >> 8), static_cast<uint8_t>(f)};
  const uint8_t remote[4] = {192, 0, 2, static_cast<uint8_t>(f % 7)};
  std::memcpy(e.saddr, local, sizeof local);
  std::memcpy(e.daddr, remote, sizeof remote);
  e.sport = static_cast<uint16_t>(1024 + f % 64000);
  e.dport = 443;
  e.tgid = 4242;
  std::memcpy(e.comm, "flow_memory", sizeof "flow_memory");
  e.flags = TS_F_OWNER_KNOWN | TS_F_TIMING_KNOWN;
  e.prev_state_ns = 1000;

  const bool retransmits = flow % 4 == 1, resets = flow % 10 == 7;
  if (retransmits && (step == 4 || step == 5)) {
    e.kind = TS_EV_RETRANSMIT;
    e.old_state = e.new_state = TS_ESTABLISHED;
    ++mix.retransmit;
  } else if (resets && step == 6) {
    e.kind = TS_EV_RESET_RECEIVED;
    e.old_state = e.new_state = TS_ESTABLISHED;
    e.flags |= TS_F_RESET;
    ++mix.reset;
  } else if (resets && step > 6) {  // after the reset: straight to CLOSE, no TIME_WAIT
    e.kind = TS_EV_STATE;
    e.old_state = kClientClose[step].from;
    e.new_state = TS_CLOSE;
    e.flags |= TS_F_RESET;
    ++mix.state;
  } else {
    e.kind = TS_EV_STATE;
    e.old_state = kClientClose[step].from;
    e.new_state = kClientClose[step].to;
    if (e.new_state == TS_CLOSE) e.lifetime_ns = 5'000'000;
    ++mix.state;
  }
  return e;
}

}  // namespace

int main(int argc, char** argv) {
  const FlowMemoryOptions o = parse_options(argc, argv);
  const long rss_before_kb = peak_rss_kb();

  tcpsight::Aggregator aggregator = o.capacity ? tcpsight::Aggregator(*o.capacity) : tcpsight::Aggregator();
  Mix mix;
  const uint64_t window_events = kOpenAtOnce * kEventsPerFlow;
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < o.events; ++i) {
    const uint64_t window = i / window_events, in_window = i % window_events;
    const uint64_t flow = (window * kOpenAtOnce + in_window % kOpenAtOnce) % o.flows;
    const uint64_t step = in_window / kOpenAtOnce;
    aggregator.on_event(synthetic_event(flow, step, 1'000'000'000 + i * 100, mix));
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const long rss_after_kb = peak_rss_kb();

  const size_t kept = aggregator.troubled_flows(SIZE_MAX).size();  // after the RSS reading: it copies
  std::printf(
      "events=%llu flows=%llu capacity=%s state_events=%llu retransmit_events=%llu reset_events=%llu "
      "seconds=%.3f events_per_second=%.0f rss_before_kb=%ld peak_rss_kb=%ld flows_kept=%zu flows_evicted=%llu "
      "events_received=%llu\n",
      static_cast<unsigned long long>(o.events), static_cast<unsigned long long>(o.flows),
      o.capacity ? std::to_string(*o.capacity).c_str() : "default", static_cast<unsigned long long>(mix.state),
      static_cast<unsigned long long>(mix.retransmit), static_cast<unsigned long long>(mix.reset), seconds,
      static_cast<double>(o.events) / seconds, rss_before_kb, rss_after_kb, kept,
      static_cast<unsigned long long>(aggregator.flows_evicted()),
      static_cast<unsigned long long>(aggregator.events().received));
  return 0;
}
