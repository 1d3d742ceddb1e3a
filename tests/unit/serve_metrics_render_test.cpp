// /metrics rendered from synthetic kernel input: what each family says, in which units, with
// which labels, and that the number of series does not grow with the number of connections.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "core/tcp_state.hpp"
#include "core_test_input.hpp"
#include "serve_render_input.hpp"

namespace tcpsight {
namespace {

using test::Ends;
using test::input_of;
using test::kDefaultPortRange;
using test::listener_record;
using test::parse_exposition;
using test::render_text;
using test::sock_record;
using test::time_wait_record;

std::vector<ts_sock_record> small_host() {
  return {
      sock_record(TS_ESTABLISHED, {"10.0.0.1", 443, "10.0.0.9", 50000}),
      sock_record(TS_ESTABLISHED, {"10.0.0.1", 443, "10.0.0.9", 50001}),
      sock_record(TS_ESTABLISHED, {"10.0.0.1", 443, "10.0.0.8", 50002}),
      sock_record(TS_NEW_SYN_RECV, {"10.0.0.1", 443, "10.0.0.7", 50003}),
      sock_record(TS_CLOSE_WAIT, {"::1", 8080, "::1", 50004}),
      time_wait_record({"10.0.0.1", 40000, "10.0.0.2", 80}, 30'000),
      time_wait_record({"10.0.0.1", 40001, "10.0.0.2", 80}, 59'000),
      listener_record("10.0.0.1", 443, 1, 2, 511),
      listener_record("::", 8080, 0, 0, 128),
  };
}

TEST(MetricsRender, EveryFamilyTheIssueNamesIsThereWithHelpAndType) {
  ts_counters c{};
  ScrapeInput in = input_of(small_host(), c, {{"TcpExt.ListenOverflows", 0}, {"Tcp.ActiveOpens", 5}});
  in.durations = true;  // serve --connection-durations
  const auto e = render_text(in);
  for (const char* family :
       {"tcpsight_sockets", "tcpsight_state_transitions_total", "tcpsight_retransmits_total",
        "tcpsight_synack_retransmits_total", "tcpsight_resets_total", "tcpsight_time_wait_entered_total",
        "tcpsight_listen_syn_queue", "tcpsight_listen_accept_queue", "tcpsight_events_lost_total",
        "tcpsight_connect_latency_seconds", "tcpsight_connection_duration_seconds",
        "tcpsight_time_wait_remaining_seconds", "tcpsight_build_info", "tcpsight_netstat_listen_overflows_total",
        "tcpsight_netstat_active_opens_total", "tcpsight_listen_series_dropped_total"}) {
    ASSERT_TRUE(e.families.count(family)) << family;
    EXPECT_FALSE(e.families.at(family).help.empty()) << family;
    EXPECT_FALSE(e.families.at(family).type.empty()) << family;
  }
}

TEST(MetricsRender, CountersEndInTotalAndNothingElseDoes) {
  const auto e = render_text(input_of(small_host(), {}, {{"Tcp.RetransSegs", 1}}));
  for (const auto& [name, family] : e.families) {
    if (family.type == "counter") EXPECT_TRUE(name.ends_with("_total")) << name;
    else EXPECT_FALSE(name.ends_with("_total")) << name << " is a " << family.type;
  }
}

TEST(MetricsRender, SocketsPerStateComeFromTheSnapshotWithRequestSocketsUnderSynRecv) {
  const auto e = render_text(input_of(small_host()));
  const auto sockets = [&](const char* state) { return e.value("tcpsight_sockets", {{"state", state}}); };
  EXPECT_EQ(sockets("ESTABLISHED"), "3");
  EXPECT_EQ(sockets("SYN_RECV"), "1");
  EXPECT_EQ(sockets("TIME_WAIT"), "2");
  EXPECT_EQ(sockets("CLOSE_WAIT"), "1");
  EXPECT_EQ(sockets("LISTEN"), "2");
  EXPECT_EQ(sockets("FIN_WAIT2"), "0") << "every reported state is exported, also at 0";
  EXPECT_EQ(e.count("tcpsight_sockets"), kReportedStates.size());
  EXPECT_EQ(e.value("tcpsight_request_sockets"), "1");
}

TEST(MetricsRender, TransitionsAreTheKernelCountsUsualOnesAlsoAtZero) {
  ts_counters c{};
  c.transitions[TS_CLOSE][TS_SYN_SENT] = 12;
  c.transitions[TS_FIN_WAIT2][TS_CLOSE] = 7;
  c.transitions[TS_SYN_RECV][TS_FIN_WAIT1] = 2;  // rare: shown because it happened
  const auto e = render_text(input_of({}, c));
  const auto count = [&](const char* from, const char* to) {
    return e.value("tcpsight_state_transitions_total", {{"from", from}, {"to", to}});
  };
  EXPECT_EQ(count("CLOSE", "SYN_SENT"), "12");
  EXPECT_EQ(count("FIN_WAIT2", "CLOSE"), "7");
  EXPECT_EQ(count("SYN_RECV", "FIN_WAIT1"), "2");
  EXPECT_EQ(count("LAST_ACK", "CLOSE"), "0");
  EXPECT_FALSE(count("TIME_WAIT", "CLOSE").has_value()) << "a transition that never happens is not invented";
}

TEST(MetricsRender, RetransmitsByStateResetsByDirectionAndTimeWaitEntries) {
  ts_counters c{};
  c.retransmits[TS_ESTABLISHED] = 9;
  c.retransmits[TS_SYN_SENT] = 4;
  c.retransmits[TS_SYN_RECV] = 1;
  c.retransmits[TS_NEW_SYN_RECV] = 2;  // reported under SYN_RECV, like the socket counts
  c.synack_retransmits = 6;
  c.resets_sent = 3;
  c.resets_received = 5;
  c.time_wait_entered = 11;
  c.events_lost = 0;
  const auto e = render_text(input_of({}, c));
  EXPECT_EQ(e.value("tcpsight_retransmits_total", {{"state", "ESTABLISHED"}}), "9");
  EXPECT_EQ(e.value("tcpsight_retransmits_total", {{"state", "SYN_SENT"}}), "4");
  EXPECT_EQ(e.value("tcpsight_retransmits_total", {{"state", "SYN_RECV"}}), "3");
  EXPECT_FALSE(e.value("tcpsight_retransmits_total", {{"state", "NEW_SYN_RECV"}}).has_value());
  EXPECT_EQ(e.value("tcpsight_synack_retransmits_total"), "6");
  EXPECT_EQ(e.value("tcpsight_resets_total", {{"direction", "sent"}}), "3");
  EXPECT_EQ(e.value("tcpsight_resets_total", {{"direction", "received"}}), "5");
  EXPECT_EQ(e.value("tcpsight_time_wait_entered_total"), "11");
  EXPECT_EQ(e.value("tcpsight_events_lost_total"), "0");
}

TEST(MetricsRender, Log2MicrosecondSlotsBecomeSecondsBucketsAtTheSlotBoundaries) {
  ts_counters c{};
  c.connect_latency_us[0] = 1;   // 0 or 1 µs
  c.connect_latency_us[5] = 3;   // 32..63 µs
  c.connect_latency_us[31] = 1;  // 2^31 µs and longer
  const auto e = render_text(input_of({}, c));
  const auto bucket = [&](const char* le) { return e.value("tcpsight_connect_latency_seconds_bucket", {{"le", le}}); };
  EXPECT_EQ(bucket("2e-06"), "1");
  EXPECT_EQ(bucket("3.2e-05"), "1");
  EXPECT_EQ(bucket("6.4e-05"), "4");
  EXPECT_EQ(bucket("2147.483648"), "4");
  EXPECT_EQ(bucket("+Inf"), "5");
  EXPECT_EQ(e.value("tcpsight_connect_latency_seconds_count"), "5");
  EXPECT_EQ(e.count("tcpsight_connect_latency_seconds_bucket"), size_t{TS_HIST_SLOTS});
  EXPECT_EQ(e.count("tcpsight_connect_latency_seconds_sum"), 0u) << "the kernel keeps no sum: none is made up";

  uint64_t previous = 0;  // cumulative: never decreasing
  for (const auto& s : e.samples)
    if (s.name == "tcpsight_connection_duration_seconds_bucket" || s.name == "tcpsight_connect_latency_seconds_bucket") {
      const uint64_t v = std::stoull(s.value);
      if (s.labels.at("le") == "2e-06") previous = 0;
      EXPECT_GE(v, previous) << s.name << " le=" << s.labels.at("le");
      previous = v;
    }
}

TEST(MetricsRender, ConnectionDurationsAreShownOnlyWhenAskedFor) {
  ts_counters c{};
  c.connection_duration_us[4] = 2;
  ScrapeInput in = input_of(small_host(), c);
  EXPECT_EQ(render_text(in).families.count("tcpsight_connection_duration_seconds"), 0u)
      << "not measured without --connection-durations: not shown as empty";
  EXPECT_TRUE(render_text(in).families.count("tcpsight_connect_latency_seconds")) << "kept without storage";
  in.durations = true;
  EXPECT_EQ(render_text(in).value("tcpsight_connection_duration_seconds_count"), "2");
}

TEST(MetricsRender, WithoutHistogramsTheirFamiliesAreLeftOutNotShownEmpty) {
  ts_counters c{};
  c.transitions[TS_SYN_SENT][TS_ESTABLISHED] = 3;
  ScrapeInput in = input_of(small_host(), c);
  in.histograms = false;  // serve --no-histograms
  const auto e = render_text(in);
  EXPECT_EQ(e.families.count("tcpsight_connect_latency_seconds"), 0u);
  EXPECT_EQ(e.families.count("tcpsight_connection_duration_seconds"), 0u);
  EXPECT_EQ(e.value("tcpsight_state_transitions_total", {{"from", "SYN_SENT"}, {"to", "ESTABLISHED"}}), "3");
  EXPECT_TRUE(e.families.count("tcpsight_time_wait_remaining_seconds")) << "that one comes from the snapshot";
}

TEST(MetricsRender, Log2HistogramBoundsDoubleFromTwoMicroseconds) {
  __u64 slots[TS_HIST_SLOTS] = {};
  const HistogramData h = log2_us_histogram(slots);
  ASSERT_EQ(h.upper_bounds.size(), size_t{TS_HIST_SLOTS - 1});
  EXPECT_DOUBLE_EQ(h.upper_bounds.front(), 2e-6);
  for (size_t i = 1; i < h.upper_bounds.size(); ++i) EXPECT_DOUBLE_EQ(h.upper_bounds[i], 2 * h.upper_bounds[i - 1]);
}

TEST(MetricsRender, TimeWaitRemainingLifetimesFallIntoLeBuckets) {
  std::vector<ts_sock_record> records;
  for (int32_t ms : {0, 4'999, 5'000, 5'001, 59'999, 60'000, 61'000, -20})
    records.push_back(time_wait_record({"10.0.0.1", 40000, "10.0.0.2", 80}, ms));
  const auto e = render_text(input_of(records));
  const auto bucket = [&](const char* le) { return e.value("tcpsight_time_wait_remaining_seconds_bucket", {{"le", le}}); };
  EXPECT_EQ(bucket("5.0"), "4") << "0, 4.999, 5.000 and a negative remainder (expired, counted as 0)";
  EXPECT_EQ(bucket("10.0"), "5");
  EXPECT_EQ(bucket("55.0"), "5");
  EXPECT_EQ(bucket("60.0"), "7");
  EXPECT_EQ(bucket("+Inf"), "8");
  EXPECT_EQ(e.value("tcpsight_time_wait_remaining_seconds_count"), "8");
  EXPECT_DOUBLE_EQ(std::stod(*e.value("tcpsight_time_wait_remaining_seconds_sum")),
                   0 + 4.999 + 5.0 + 5.001 + 59.999 + 60.0 + 61.0 + 0);
  EXPECT_EQ(e.value("tcpsight_sockets", {{"state", "TIME_WAIT"}}), "8");
}

TEST(MetricsRender, ListenerQueuesAreLabelledByLocalEndpoint) {
  const auto e = render_text(input_of(small_host()));
  EXPECT_EQ(e.value("tcpsight_listen_syn_queue", {{"local", "10.0.0.1:443"}}), "1");
  EXPECT_EQ(e.value("tcpsight_listen_accept_queue", {{"local", "10.0.0.1:443"}}), "2");
  EXPECT_EQ(e.value("tcpsight_listen_backlog", {{"local", "10.0.0.1:443"}}), "511");
  EXPECT_EQ(e.value("tcpsight_listen_accept_queue", {{"local", "[::]:8080"}}), "0");
  EXPECT_EQ(e.value("tcpsight_listeners"), "2");
  EXPECT_EQ(e.value("tcpsight_listen_series_dropped_total"), "0");
  EXPECT_EQ(e.count("tcpsight_listen_syn_queue"), 2u);
}

TEST(MetricsRender, ListenersBeyondTheCapAreSummedIntoOtherAndCounted) {
  std::vector<ts_sock_record> records;
  for (uint16_t port = 1000; port < 1010; ++port) records.push_back(listener_record("10.0.0.1", port, 0, 0, 128));
  records.push_back(listener_record("10.0.0.1", 2000, 50, 3, 128));  // the busiest: always labelled
  ScrapeInput in = input_of(records, {}, {}, {.listeners = 3});
  in.listener_series_dropped_total = 8;  // what the cache adds up over gatherings
  const auto e = render_text(in);
  EXPECT_EQ(e.count("tcpsight_listen_syn_queue"), 4u) << "3 endpoints and local=\"other\"";
  EXPECT_EQ(e.value("tcpsight_listen_syn_queue", {{"local", "10.0.0.1:2000"}}), "50");
  EXPECT_EQ(e.value("tcpsight_listen_syn_queue", {{"local", "10.0.0.1:1000"}}), "0") << "ties: lowest ports";
  EXPECT_EQ(e.value("tcpsight_listen_syn_queue", {{"local", "10.0.0.1:1001"}}), "0");
  EXPECT_FALSE(e.value("tcpsight_listen_syn_queue", {{"local", "10.0.0.1:1002"}}).has_value());
  EXPECT_EQ(e.value("tcpsight_listen_backlog", {{"local", "other"}}), std::to_string(8 * 128));
  EXPECT_EQ(e.value("tcpsight_listeners"), "11");
  EXPECT_EQ(in.listeners.dropped, 8u);
  EXPECT_EQ(e.value("tcpsight_listen_series_dropped_total"), "8");
}

TEST(MetricsRender, ReusePortListenersOnOneEndpointAreOneSeries) {
  const std::vector<ts_sock_record> records = {listener_record("0.0.0.0", 80, 1, 2, 100),
                                               listener_record("0.0.0.0", 80, 3, 4, 100)};
  const auto e = render_text(input_of(records));
  EXPECT_EQ(e.count("tcpsight_listen_syn_queue"), 1u) << "duplicate label sets would make the scrape invalid";
  EXPECT_EQ(e.value("tcpsight_listen_syn_queue", {{"local", "0.0.0.0:80"}}), "4");
  EXPECT_EQ(e.value("tcpsight_listen_accept_queue", {{"local", "0.0.0.0:80"}}), "6");
  EXPECT_EQ(e.value("tcpsight_listen_backlog", {{"local", "0.0.0.0:80"}}), "200");
  EXPECT_EQ(e.value("tcpsight_listeners"), "2");
}

TEST(MetricsRender, SeriesDoNotGrowWithConnectionsOnlyWithEndpointsUpToTheirCaps) {
  const ScrapeInput small = input_of(small_host());
  ASSERT_EQ(small.destinations.kept.size(), 1u) << "10.0.0.2:80 holds two ports";
  const size_t baseline = render_text(small).samples.size();
  std::vector<ts_sock_record> many = small_host();
  for (uint32_t i = 0; i < 20'000; ++i) {
    const std::string remote = "10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250);
    const auto port = static_cast<uint16_t>(1024 + i % 60000);
    many.push_back(sock_record(i % 2 ? TS_ESTABLISHED : TS_FIN_WAIT2, {"10.0.0.1", 443, remote, port}));
    const auto client_port = static_cast<uint16_t>(kDefaultPortRange.low + i % 28'000);  // a port of the range
    many.push_back(time_wait_record({"10.0.0.1", client_port, remote, 80}, static_cast<int32_t>(i % 60'000)));
  }
  const ScrapeInput big = input_of(many);
  const size_t cap = SeriesCaps{}.destinations;
  ASSERT_EQ(big.destinations.kept.size(), cap);
  ASSERT_TRUE(big.destinations.other);
  const auto e = render_text(big);
  EXPECT_EQ(e.samples.size(), baseline + cap) << "the destinations' series: the cap and remote=\"other\"";
  std::set<std::string> label_names;
  for (const auto& s : e.samples)
    for (const auto& [name, value] : s.labels) label_names.insert(name);
  EXPECT_EQ(label_names,
            (std::set<std::string>{"direction", "from", "kernel", "le", "local", "remote", "state", "to", "version"}));
}

TEST(MetricsRender, KernelCountersBecomeNetstatCountersAndAbsentOnesAreLeftOut) {
  const KernelCounters kernel = {{"TcpExt.ListenOverflows", 4}, {"TcpExt.ListenDrops", 6}, {"TcpExt.SyncookiesSent", 1},
                                 {"TcpExt.TCPSynRetrans", 8},   {"TcpExt.TCPTimeouts", 9}, {"Tcp.ActiveOpens", 100},
                                 {"Tcp.PassiveOpens", 99},      {"Tcp.RetransSegs", 12},   {"Tcp.OutSegs", 5000},
                                 {"Tcp.MaxConn", -1}};
  const auto e = render_text(input_of({}, {}, kernel));
  EXPECT_EQ(e.value("tcpsight_netstat_listen_overflows_total"), "4");
  EXPECT_EQ(e.value("tcpsight_netstat_listen_drops_total"), "6");
  EXPECT_EQ(e.value("tcpsight_netstat_syncookies_sent_total"), "1");
  EXPECT_EQ(e.value("tcpsight_netstat_syn_retrans_total"), "8");
  EXPECT_EQ(e.value("tcpsight_netstat_timeouts_total"), "9");
  EXPECT_EQ(e.value("tcpsight_netstat_active_opens_total"), "100");
  EXPECT_EQ(e.value("tcpsight_netstat_passive_opens_total"), "99");
  EXPECT_EQ(e.value("tcpsight_netstat_retrans_segs_total"), "12");
  EXPECT_EQ(e.value("tcpsight_netstat_out_segs_total"), "5000");
  EXPECT_FALSE(e.families.count("tcpsight_netstat_time_wait_overflow_total")) << "not in this kernel's files";
}

TEST(MetricsRender, BuildInfoLimitsAndSelfMetrics) {
  ScrapeInput in = input_of({});
  in.gather_seconds = 0.0125;
  in.gathers_total = 42;
  const auto e = render_text(in);
  EXPECT_EQ(e.value("tcpsight_build_info", {{"version", "0.1.0"}, {"kernel", "6.18.0-test"}}), "1");
  EXPECT_EQ(e.value("tcpsight_ephemeral_ports_range"), "28232");
  EXPECT_EQ(e.value("tcpsight_time_wait_limit"), "262144");
  EXPECT_EQ(e.value("tcpsight_gather_duration_seconds"), "0.0125");
  EXPECT_EQ(e.value("tcpsight_gathers_total"), "42");
}

TEST(MetricsRender, OpenMetricsNamesFamiliesWithoutSuffixesAndEndsWithEof) {
  ts_counters c{};
  c.transitions[TS_CLOSE][TS_SYN_SENT] = 3;
  const auto e = parse_exposition(render_metrics(input_of(small_host(), c), ExpositionFormat::openmetrics));
  EXPECT_TRUE(e.eof);
  EXPECT_EQ(e.families.at("tcpsight_state_transitions").type, "counter");
  EXPECT_EQ(e.value("tcpsight_state_transitions_total", {{"from", "CLOSE"}, {"to", "SYN_SENT"}}), "3");
  EXPECT_EQ(e.families.at("tcpsight_time_wait_remaining_seconds").type, "gaugehistogram");
  EXPECT_EQ(e.value("tcpsight_time_wait_remaining_seconds_gcount"), "2");
  EXPECT_EQ(e.families.at("tcpsight_build").type, "info");
  EXPECT_EQ(e.families.at("tcpsight_connect_latency_seconds").unit, "seconds");
  EXPECT_EQ(e.value("tcpsight_sockets", {{"state", "ESTABLISHED"}}), "3");
}

}  // namespace
}  // namespace tcpsight
