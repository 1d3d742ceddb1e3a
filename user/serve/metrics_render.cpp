#include "serve/metrics_render.hpp"

#include <algorithm>
#include <array>
#include <string_view>
#include <utility>
#include <vector>

#include "core/counter_totals.hpp"
#include "core/tcp_state.hpp"

namespace tcpsight {

namespace {

// Transitions a TCP socket goes through in normal operation: exported from the start (at 0), so
// rate() sees their first increase. Any other transition the kernel counts appears once non-zero.
constexpr std::array<std::pair<int, int>, 19> kUsualTransitions = {{
    {TS_CLOSE, TS_SYN_SENT},        {TS_CLOSE, TS_LISTEN},         {TS_LISTEN, TS_CLOSE},
    {TS_LISTEN, TS_SYN_RECV},       {TS_SYN_SENT, TS_ESTABLISHED}, {TS_SYN_SENT, TS_CLOSE},
    {TS_SYN_RECV, TS_ESTABLISHED},  {TS_SYN_RECV, TS_CLOSE},       {TS_ESTABLISHED, TS_FIN_WAIT1},
    {TS_ESTABLISHED, TS_CLOSE_WAIT}, {TS_ESTABLISHED, TS_CLOSE},   {TS_FIN_WAIT1, TS_FIN_WAIT2},
    {TS_FIN_WAIT1, TS_CLOSING},     {TS_FIN_WAIT1, TS_CLOSE},      {TS_FIN_WAIT2, TS_CLOSE},
    {TS_CLOSING, TS_CLOSE},         {TS_CLOSE_WAIT, TS_LAST_ACK},  {TS_CLOSE_WAIT, TS_CLOSE},
    {TS_LAST_ACK, TS_CLOSE},
}};

// States a socket can retransmit in; exported from the start.
constexpr std::array<int, 8> kRetransmitStates = {TS_ESTABLISHED, TS_SYN_SENT, TS_SYN_RECV, TS_FIN_WAIT1,
                                                  TS_FIN_WAIT2,   TS_CLOSE_WAIT, TS_LAST_ACK, TS_CLOSING};

struct NetstatCounter {
  std::string_view metric;
  std::string_view key;  // in /proc/net/snmp or /proc/net/netstat
  std::string_view help;
};

constexpr std::array<NetstatCounter, 10> kNetstatCounters = {{
    {"tcpsight_netstat_listen_overflows", "TcpExt.ListenOverflows",
     "Connections dropped because a listener's accept queue was full (TcpExt.ListenOverflows)."},
    {"tcpsight_netstat_listen_drops", "TcpExt.ListenDrops",
     "SYNs and final ACKs a listener dropped for any reason, overflows included (TcpExt.ListenDrops)."},
    {"tcpsight_netstat_syncookies_sent", "TcpExt.SyncookiesSent",
     "SYN cookies sent because a SYN queue was full (TcpExt.SyncookiesSent)."},
    {"tcpsight_netstat_syn_retrans", "TcpExt.TCPSynRetrans",
     "SYN and SYN-ACK retransmissions (TcpExt.TCPSynRetrans)."},
    {"tcpsight_netstat_timeouts", "TcpExt.TCPTimeouts", "Retransmission timer expiries (TcpExt.TCPTimeouts)."},
    {"tcpsight_netstat_active_opens", "Tcp.ActiveOpens", "Connections opened by connect() (Tcp.ActiveOpens)."},
    {"tcpsight_netstat_passive_opens", "Tcp.PassiveOpens", "Connections accepted by listeners (Tcp.PassiveOpens)."},
    {"tcpsight_netstat_retrans_segs", "Tcp.RetransSegs", "Segments retransmitted (Tcp.RetransSegs)."},
    {"tcpsight_netstat_out_segs", "Tcp.OutSegs",
     "Segments sent, retransmissions excluded (Tcp.OutSegs); the denominator of a retransmit ratio."},
    {"tcpsight_netstat_time_wait_overflow", "TcpExt.TCPTimeWaitOverflow",
     "TIME_WAIT sockets not created because tcp_max_tw_buckets was reached (TcpExt.TCPTimeWaitOverflow)."},
}};

std::string state_label(int state) { return std::string(state_name(state)); }

// Whose figures a run of samples is: serve's own namespace, unlabelled as it always was, or with
// -A/--netns one namespace (or other) labelled netns and container. Labels are additive: a family
// has the same name either way.
struct Scope {
  Labels labels;
  const NamespaceScrape* figures;
};

std::vector<Scope> scopes_of(const ScrapeInput& in) {
  if (!in.namespace_counts) return {{{}, &in}};
  std::vector<Scope> out;
  out.reserve(in.namespaces.size());
  for (const LabelledNamespace& ns : in.namespaces)
    out.push_back({{{"netns", ns.netns}, {"container", ns.container}}, &ns.figures});
  return out;
}

Labels with(const Scope& scope, const Labels& more = {}) {
  Labels out = scope.labels;
  out.insert(out.end(), more.begin(), more.end());
  return out;
}

bool any_scope(const std::vector<Scope>& scopes, bool (*has)(const NamespaceScrape&)) {
  return std::any_of(scopes.begin(), scopes.end(), [&](const Scope& s) { return has(*s.figures); });
}

void write_sockets(ExpositionWriter& w, const std::vector<Scope>& scopes) {
  w.gauge("tcpsight_sockets",
          "TCP sockets of this network namespace by state, from the latest socket snapshot "
          "(tcpsight_snapshot_age_seconds); SYN_RECV includes half-open request sockets.");
  for (const Scope& sc : scopes)
    for (int s : kReportedStates)
      w.sample(with(sc, {{"state", state_label(s)}}), sc.figures->sockets.by_state[static_cast<size_t>(s)]);
  w.gauge("tcpsight_request_sockets", "Half-open connections (request sockets waiting for the final ACK).");
  for (const Scope& sc : scopes) w.sample(with(sc), sc.figures->sockets.request_sockets);
}

void write_transitions(ExpositionWriter& w, const std::vector<Scope>& scopes) {
  w.counter("tcpsight_state_transitions",
            "TCP state changes of full sockets since tcpsight started, exact (kernel counters).");
  bool usual[TS_NSTATES][TS_NSTATES] = {};
  for (const auto& [from, to] : kUsualTransitions) usual[from][to] = true;
  for (const Scope& sc : scopes) {
    const ts_counters& c = sc.figures->counters;
    for (int from = 0; from < TS_NSTATES; ++from)
      for (int to = 0; to < TS_NSTATES; ++to)
        if (usual[from][to] || c.transitions[from][to])
          w.sample(with(sc, {{"from", state_label(from)}, {"to", state_label(to)}}), c.transitions[from][to]);
  }
}

void write_retransmits(ExpositionWriter& w, const std::vector<Scope>& scopes) {
  bool shown[TS_NSTATES] = {};
  for (int s : kRetransmitStates) shown[s] = true;
  w.counter("tcpsight_retransmits",
            "Segments retransmitted, by the state of the socket (SYN_SENT: SYN retransmits); with "
            "tcpsight_synack_retransmits_total, what the kernel counts as TcpRetransSegs.");
  for (const Scope& sc : scopes) {
    uint64_t by_state[TS_NSTATES] = {};
    for (int s = 0; s < TS_NSTATES; ++s) by_state[reported_state(s)] += sc.figures->counters.retransmits[s];
    for (int s = 0; s < TS_NSTATES; ++s)
      if (shown[s] || by_state[s]) w.sample(with(sc, {{"state", state_label(s)}}), by_state[s]);
  }

  w.counter("tcpsight_synack_retransmits", "SYN-ACKs retransmitted for half-open request sockets.");
  for (const Scope& sc : scopes) w.sample(with(sc), sc.figures->counters.synack_retransmits);
  w.counter("tcpsight_resets", "TCP resets sent and received.");
  for (const Scope& sc : scopes) {
    w.sample(with(sc, {{"direction", "sent"}}), sc.figures->counters.resets_sent);
    w.sample(with(sc, {{"direction", "received"}}), sc.figures->counters.resets_received);
  }
  w.counter("tcpsight_resets_no_socket",
            "Of the resets sent: for segments no socket wanted, e.g. a SYN to a closed port (seen from Linux 6.10).");
  for (const Scope& sc : scopes) w.sample(with(sc), sc.figures->counters.resets_sent_no_socket);
}

void write_time_wait(ExpositionWriter& w, const std::vector<Scope>& scopes) {
  w.counter("tcpsight_time_wait_entered",
            "Closes that handed the connection to a timewait socket, as the kernel made them (what /proc/net/sockstat "
            "tw rises by; no abort, reset or overflow).");
  for (const Scope& sc : scopes) w.sample(with(sc), sc.figures->counters.time_wait_entered);
  w.counter("tcpsight_fin_wait2_orphans",
            "Of tcpsight_time_wait_entered_total: orphaned FIN_WAIT2 connections whose timewait socket began by waiting "
            "for the peer's FIN.");
  for (const Scope& sc : scopes) w.sample(with(sc), sc.figures->counters.fin_wait2_handed_over);

  w.gauge_histogram("tcpsight_time_wait_remaining_seconds",
                    "TIME_WAIT sockets that exist now, by the time left until the kernel frees them.", "seconds");
  for (const Scope& sc : scopes) {
    const TimeWaitLifetimes& tw = sc.figures->sockets.time_wait;
    w.histogram_sample(with(sc), {{tw.kBoundsSeconds.begin(), tw.kBoundsSeconds.end()},
                                  {tw.counts.begin(), tw.counts.end()},
                                  static_cast<double>(tw.sum_ms) / 1000.0});
  }
  if (any_scope(scopes, [](const NamespaceScrape& f) { return f.limits.max_time_wait.has_value(); })) {
    w.gauge("tcpsight_time_wait_limit",
            "net.ipv4.tcp_max_tw_buckets: TIME_WAIT sockets the kernel keeps at most before it closes new ones at once.");
    for (const Scope& sc : scopes)
      if (sc.figures->limits.max_time_wait) w.sample(with(sc), *sc.figures->limits.max_time_wait);
  }
}

void write_ephemeral_ports(ExpositionWriter& w, const std::vector<Scope>& scopes, const ScrapeInput& in) {
  if (any_scope(scopes, [](const NamespaceScrape& f) { return f.limits.port_range.has_value(); })) {
    w.gauge("tcpsight_ephemeral_ports_range",
            "Ports in net.ipv4.ip_local_port_range of this network namespace: how many connections to one "
            "remote address and port connect() can have at once from one local address.");
    for (const Scope& sc : scopes)
      if (sc.figures->limits.port_range) w.sample(with(sc), sc.figures->limits.port_range->size());
    w.gauge("tcpsight_ephemeral_ports_used",
            "Local ports of net.ipv4.ip_local_port_range held toward one remote address and port by client-side "
            "sockets (any state, TIME_WAIT included; not sockets of a local listener): the destinations holding "
            "the most, the rest summed as remote=\"other\".");
    for (const Scope& sc : scopes)
      for (const DestinationSeriesEntry* e : sc.figures->destinations.all())
        w.sample(with(sc, {{"remote", e->remote}}), e->ports_used);
  }
  w.counter("tcpsight_destination_series_dropped",
            "Destinations left out of the per-destination series by the label cap (summed into remote=\"other\"), "
            "added up over gatherings.");
  w.sample({}, in.destination_series_dropped_total);
}

void write_listeners(ExpositionWriter& w, const std::vector<Scope>& scopes, const ScrapeInput& in) {
  w.gauge("tcpsight_listeners", "Listening sockets.");
  for (const Scope& sc : scopes) w.sample(with(sc), sc.figures->listeners.listening_sockets);

  const auto per_listener = [&](std::string_view name, std::string_view help, uint64_t ListenerSeriesEntry::*field) {
    w.gauge(name, help);
    for (const Scope& sc : scopes)
      for (const ListenerSeriesEntry* e : sc.figures->listeners.all()) w.sample(with(sc, {{"local", e->local}}), e->*field);
  };
  per_listener("tcpsight_listen_syn_queue", "Half-open connections waiting in a listener's SYN queue.",
               &ListenerSeriesEntry::syn_queue);
  per_listener("tcpsight_listen_accept_queue", "Established connections waiting in a listener's accept queue.",
               &ListenerSeriesEntry::accept_queue);
  per_listener("tcpsight_listen_backlog", "A listener's listen() backlog: the accept queue's capacity.",
               &ListenerSeriesEntry::max_backlog);
  w.counter("tcpsight_listen_series_dropped",
            "Listener endpoints left out of the per-listener series by the label cap (summed into local=\"other\"), "
            "added up over gatherings.");
  w.sample({}, in.listener_series_dropped_total);
}

// Host-wide (or, with --netns, of that namespace): the kernel keeps no histograms per namespace.
void write_histograms(ExpositionWriter& w, const ScrapeInput& in) {
  if (!in.histograms) return;  // not measured: an empty histogram would read as "no connections"
  w.histogram("tcpsight_connect_latency_seconds",
              "Time from the first SYN to the SYN-ACK of outgoing connections, as the kernel measured it.",
              "seconds");
  w.histogram_sample({}, log2_us_histogram(in.counters.connect_latency_us));
  if (!in.durations) return;  // serve --connection-durations: it needs per-socket storage
  w.histogram("tcpsight_connection_duration_seconds",
              "Lifetime of connections opened and closed while tcpsight ran, from open to CLOSE.", "seconds");
  w.histogram_sample({}, log2_us_histogram(in.counters.connection_duration_us));
}

void write_events(ExpositionWriter& w, const std::vector<Scope>& scopes, const ScrapeInput& in) {
  w.counter("tcpsight_tracepoint_events", "Tracepoint hits of this network namespace counted by tcpsight's kernel programs.");
  for (const Scope& sc : scopes) w.sample(with(sc), sc.figures->counters.events_seen);
  w.counter("tcpsight_events_lost", "Events the kernel could not queue to user space (counters stay exact).");
  w.sample({}, in.counters.events_lost);
  w.counter("tcpsight_events_missed",
            "Tracepoint runs the kernel skipped because a BPF program was already running on that CPU (its "
            "recursion guard): events in no count.");
  w.sample({}, in.events_missed_total);
}

void write_netstat(ExpositionWriter& w, const std::vector<Scope>& scopes) {
  for (const NetstatCounter& c : kNetstatCounters) {
    const std::string key(c.key);
    bool started = false;
    for (const Scope& sc : scopes) {
      const auto it = sc.figures->kernel.find(key);
      if (it == sc.figures->kernel.end() || it->second < 0) continue;  // this kernel does not have it
      if (!started) w.counter(c.metric, c.help);
      started = true;
      w.sample(with(sc), static_cast<uint64_t>(it->second));
    }
  }
}

void write_self(ExpositionWriter& w, const std::vector<Scope>& scopes, const ScrapeInput& in) {
  w.info("tcpsight_build", "tcpsight's version and the kernel it runs on.");
  w.sample({{"version", in.build.version}, {"kernel", in.build.kernel}}, uint64_t{1});
  w.gauge("tcpsight_gather_duration_seconds",
          "Time taken to read the kernel's counters and snapshot every socket for this scrape.", "seconds");
  w.sample({}, in.gather_seconds);
  w.counter("tcpsight_gathers", "Gatherings for scrapes; scrapes close together share one.");
  w.sample({}, in.gathers_total);
  w.gauge("tcpsight_snapshot_age_seconds",
          "Age of the socket snapshot behind the socket gauges: snapshots are spaced so that they "
          "use at most a set share of a core (--snapshot-cpu, default 1%), which matters on hosts "
          "with many sockets. With -A one per namespace: a round snapshots every namespace.",
          "seconds");
  for (const Scope& sc : scopes) w.sample(with(sc), sc.figures->snapshot_age_seconds);
}

// serve -A/--netns: how namespaces are found and shown.
void write_namespaces(ExpositionWriter& w, const ScrapeInput& in) {
  if (!in.namespace_counts) return;
  const NamespaceCounts& n = *in.namespace_counts;
  w.gauge("tcpsight_namespaces",
          "Network namespaces: found at the last scan (seen), with series of their own (shown), summed into "
          "netns=\"other\" by --max-namespaces (other).");
  w.sample({{"set", "seen"}}, n.seen);
  w.sample({{"set", "shown"}}, n.shown);
  w.sample({{"set", "other"}}, n.in_other);
  w.counter("tcpsight_namespaces_entered", "Times a namespace was entered to read its counters and sockets.");
  w.sample({}, n.entered);
  w.counter("tcpsight_namespaces_failed",
            "Times a namespace could not be entered: it vanished meanwhile, or tcpsight lacks the privilege.");
  w.sample({}, n.failed);
  w.counter("tcpsight_netns_counter_overflow",
            "Tracepoint hits of namespaces that found the kernel's per-namespace counters full: in no namespace's "
            "series (host-wide totals only).");
  w.sample({}, in.counters.netns_overflow);
}

}  // namespace

HistogramData log2_us_histogram(const __u64 (&slots)[TS_HIST_SLOTS]) {
  HistogramData h;
  for (int i = 0; i + 1 < TS_HIST_SLOTS; ++i) h.upper_bounds.push_back(static_cast<double>(uint64_t{2} << i) / 1e6);
  h.counts.assign(std::begin(slots), std::end(slots));
  return h;
}

std::string render_metrics(const ScrapeInput& input, ExpositionFormat format) {
  const std::vector<Scope> scopes = scopes_of(input);
  ExpositionWriter w(format);
  write_sockets(w, scopes);
  write_transitions(w, scopes);
  write_retransmits(w, scopes);
  write_time_wait(w, scopes);
  write_ephemeral_ports(w, scopes, input);
  write_listeners(w, scopes, input);
  write_histograms(w, input);
  write_events(w, scopes, input);
  write_netstat(w, scopes);
  write_self(w, scopes, input);
  write_namespaces(w, input);
  return w.finish();
}

}  // namespace tcpsight
