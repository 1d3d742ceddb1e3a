// `trace --json` shows every state change of a connection, on both of its sockets, in order, with
// the right endpoints and the connecting process; `--port` limits the output to that port (and the
// summary counts what it left out), `--fields` to the keys asked for, and `--state time-wait` to
// the closes that hand a connection to a TIME_WAIT socket. `--port` and `--addr` filter in the
// kernel: the ring buffer carries the matching connections' events and nothing else.
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"

namespace tcpsight::itest {
namespace {

using Transitions = std::vector<std::string>;

// Runs `trace --json EXTRA...` in ns around `traffic`; returns the parsed lines once trace has ended.
std::vector<nlohmann::json> trace_around(const Netns& ns, const std::vector<std::string>& extra,
                                         const std::function<void()>& traffic, size_t expected_lines) {
  std::vector<std::string> argv{tcpsight_binary(), "trace", "--json"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  Child trace(argv, ns.inside());
  if (!trace.wait_for_line(Child::Stream::err, "tracing", 20s)) {
    ADD_FAILURE() << "trace never said it was tracing; stderr: " << trace.err();
    return {};
  }
  traffic();
  trace.wait_for_lines(Child::Stream::out, expected_lines, 5s);
  std::this_thread::sleep_for(200ms);  // let anything unexpected show up too
  trace.signal(SIGTERM);
  const auto status = trace.wait(10s);
  EXPECT_EQ(status, 0) << trace.err();
  return json_lines(trace.out());
}

// The state events of the socket that at some point had this local and remote endpoint, found by its
// identity (cookie): a connecting socket has no local port yet when it enters SYN_SENT.
std::vector<nlohmann::json> socket_events(const std::vector<nlohmann::json>& events, const std::string& local,
                                          const std::string& remote) {
  std::optional<nlohmann::json> cookie;
  for (const auto& e : events)
    if (e.value("kind", "") == "state" && e.value("local", "") == local && e.value("remote", "") == remote)
      cookie = e.at("cookie");
  std::vector<nlohmann::json> out;
  for (const auto& e : events)
    if (cookie && e.value("kind", "") == "state" && e.at("cookie") == *cookie) out.push_back(e);
  return out;
}

Transitions transitions_of(const std::vector<nlohmann::json>& events) {
  Transitions out;
  for (const auto& e : events) out.push_back(e.value("old", "?") + "->" + e.value("new", "?"));
  return out;
}

// "127.0.0.1:80", "[::1]:80": how tcpsight writes an endpoint.
std::string endpoint(const std::string& addr, uint16_t port) {
  const std::string host = addr.find(':') == std::string::npos ? addr : "[" + addr + "]";
  return host + ":" + std::to_string(port);
}

uint16_t port_of(const std::string& endpoint) {
  return static_cast<uint16_t>(std::stoul(endpoint.substr(endpoint.rfind(':') + 1)));
}

class CoreTraceLoopback : public ::testing::TestWithParam<std::string> {};

TEST_P(CoreTraceLoopback, ShowsTheTenTransitionsOfOneConnectionInOrder) {
  TS_REQUIRE_ROOT_OR_SKIP();
  const std::string& loopback = GetParam();
  Netns ns("trace");
  ConnectionRun run;
  const auto events = trace_around(
      ns, {}, [&] { run = make_connections(ns.name(), loopback, 1, CloseMode::client_first); }, 10);
  ASSERT_EQ(run.client_ports.size(), 1u);
  const std::string client = endpoint(loopback, run.client_ports[0]);
  const std::string server = endpoint(loopback, run.server_port);

  const auto client_events = socket_events(events, client, server);
  const auto server_events = socket_events(events, server, client);
  EXPECT_EQ(transitions_of(client_events),
            (Transitions{"CLOSE->SYN_SENT", "SYN_SENT->ESTABLISHED", "ESTABLISHED->FIN_WAIT1",
                         "FIN_WAIT1->FIN_WAIT2", "FIN_WAIT2->CLOSE"}));
  EXPECT_EQ(transitions_of(server_events),
            (Transitions{"LISTEN->SYN_RECV", "SYN_RECV->ESTABLISHED", "ESTABLISHED->CLOSE_WAIT",
                         "CLOSE_WAIT->LAST_ACK", "LAST_ACK->CLOSE"}));
  ASSERT_FALSE(client_events.empty());
  ASSERT_FALSE(server_events.empty());
  EXPECT_NE(client_events.front().at("cookie"), server_events.front().at("cookie")) << "two sockets";

  // Endpoints as seen from each socket. The kernel enters SYN_SENT before it picks the local port
  // (tcp_v4_connect: tcp_set_state, then inet_hash_connect), so that one event may show port 0.
  for (const auto& e : client_events) {
    EXPECT_EQ(e.value("remote", ""), server) << e.dump();
    const bool before_port_chosen = e.value("new", "") == "SYN_SENT" && e.value("local", "") == endpoint(loopback, 0);
    if (!before_port_chosen) {
      EXPECT_EQ(e.value("local", ""), client) << e.dump();
    }
  }
  for (const auto& e : server_events) {
    EXPECT_EQ(e.value("local", ""), server) << e.dump();
    EXPECT_EQ(e.value("remote", ""), client) << e.dump();
  }

  // The connect ran in this process.
  const nlohmann::json& connect = client_events.front();
  ASSERT_TRUE(connect.at("pid").is_number()) << connect.dump();
  EXPECT_EQ(connect.at("pid").get<int64_t>(), static_cast<int64_t>(getpid())) << connect.dump();
  // The active close ends in TIME_WAIT; the passive one does not.
  EXPECT_TRUE(client_events.back().value("time_wait", false)) << client_events.back().dump();
  EXPECT_FALSE(server_events.back().value("time_wait", true)) << server_events.back().dump();
}

INSTANTIATE_TEST_SUITE_P(Families, CoreTraceLoopback, ::testing::Values("127.0.0.1", "::1"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param == "::1" ? "Ipv6" : "Ipv4"; });

TEST(CoreTrace, PortFilterShowsOnlyThatPort) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns ns("trace-port");
  constexpr uint16_t kWatched = 40001, kOther = 40002;
  ConnectionRun watched, other;
  const auto events = trace_around(ns, {"--port", std::to_string(kWatched)}, [&] {
    other = make_connections(ns.name(), "127.0.0.1", 2, CloseMode::client_first, kOther);
    watched = make_connections(ns.name(), "127.0.0.1", 1, CloseMode::client_first, kWatched);
  }, 10);
  ASSERT_EQ(watched.client_ports.size(), 1u);

  for (const auto& e : events) {
    const uint16_t local = port_of(e.value("local", ":0")), remote = port_of(e.value("remote", ":0"));
    EXPECT_TRUE(local == kWatched || remote == kWatched) << "event outside --port " << kWatched << ": " << e.dump();
  }
  const std::string client = "127.0.0.1:" + std::to_string(watched.client_ports[0]);
  const std::string server = "127.0.0.1:" + std::to_string(kWatched);
  EXPECT_EQ(socket_events(events, client, server).size(), 5u);
  EXPECT_EQ(socket_events(events, server, client).size(), 5u);
}

// The figures of trace's summary line.
struct SummaryFigures {
  uint64_t delivered = 0, not_written = 0, ring = 0, missed = 0, filtered = 0, in_kernel = 0;
};

std::optional<SummaryFigures> summary_figures(const std::string& err) {
  static const std::regex re(
      R"((\d+) events delivered; lost \d+: (\d+) not written[^,]*, (\d+) dropped by the ring buffer, (\d+) )"
      R"(missed by the kernel; (\d+) filtered out \((\d+) in the kernel\))");
  std::smatch m;
  if (!std::regex_search(err, m, re)) return std::nullopt;
  return SummaryFigures{.delivered = std::stoull(m[1]), .not_written = std::stoull(m[2]), .ring = std::stoull(m[3]),
                        .missed = std::stoull(m[4]), .filtered = std::stoull(m[5]), .in_kernel = std::stoull(m[6])};
}

// `trace --json FILTER` around `watched` connections and `other` ones (client-closed, one after
// another, on their own listeners): what trace printed and its summary, once it has ended. Every
// event happened before make_connections() returned, and trace drains the ring buffer at its end.
struct FilteredRun {
  ConnectionRun watched;
  std::vector<nlohmann::json> events;
  std::optional<SummaryFigures> summary;
  std::string err;
};

FilteredRun filtered_trace(const Netns& ns, const std::vector<std::string>& filter,
                           const std::function<ConnectionRun()>& watched, const std::function<void()>& other,
                           size_t watched_events) {
  std::vector<std::string> argv{tcpsight_binary(), "trace", "--json"};
  argv.insert(argv.end(), filter.begin(), filter.end());
  Child trace(argv, ns.inside());
  FilteredRun run;
  if (!trace.wait_for_line(Child::Stream::err, "tracing", 20s)) {
    ADD_FAILURE() << "trace never said it was tracing; stderr: " << trace.err();
    return run;
  }
  other();
  run.watched = watched();
  trace.wait_for_lines(Child::Stream::out, watched_events, 5s);
  trace.signal(SIGTERM);
  EXPECT_EQ(trace.wait(10s), 0) << trace.err();
  run.events = json_lines(trace.out());
  run.summary = summary_figures(trace.err());
  run.err = trace.err();
  return run;
}

// One client-closed loopback connection is 10 state events (design.md §1), its listener's listen()
// and close() 2 more.
constexpr size_t events_of_connections(size_t n) { return 10 * n + 2; }

// Exactly the watched connections' events reached trace, each state change of each socket, and the
// ring buffer held nothing else: what the filter left out was all left out in the kernel.
void expect_only_the_watched(const FilteredRun& run, size_t connections, size_t other_events) {
  ASSERT_TRUE(run.summary) << "no summary from trace: " << run.err;
  const SummaryFigures& s = *run.summary;
  const size_t watched_events = events_of_connections(connections);
  ASSERT_EQ(run.watched.client_ports.size(), connections);
  EXPECT_EQ(s.ring, 0u) << run.err;
  EXPECT_EQ(s.not_written, 0u) << run.err;
  EXPECT_EQ(s.delivered, run.events.size()) << run.err;
  EXPECT_EQ(s.filtered, s.in_kernel) << "the ring buffer carried events the filter did not want: " << run.err;
  // The kernel's recursion guard may skip a hit (counted as missed): then one event fewer somewhere.
  EXPECT_EQ(s.delivered + s.filtered + s.missed, watched_events + other_events) << run.err;
  EXPECT_LE(watched_events - s.missed, s.delivered) << run.err;
  EXPECT_LE(other_events - s.missed, s.in_kernel) << run.err;
  if (s.missed) return;  // which event the kernel skipped is unknown: the counts above are the test

  // By socket (cookie): a client and a server socket of 5 state changes per connection, and the
  // listener's 2 (the child's LISTEN->SYN_RECV carries the child's cookie on every kernel).
  EXPECT_EQ(run.events.size(), watched_events);
  std::map<uint64_t, size_t> per_socket;
  for (const auto& e : run.events) ++per_socket[e.at("cookie").get<uint64_t>()];
  std::map<size_t, size_t> sockets_by_events;
  for (const auto& [cookie, n] : per_socket) ++sockets_by_events[n];
  EXPECT_EQ(sockets_by_events, (std::map<size_t, size_t>{{2, 1}, {5, 2 * connections}})) << run.err;
}

class CoreTraceKernelFilter : public ::testing::TestWithParam<std::string> {};

TEST_P(CoreTraceKernelFilter, PortStreamsOnlyThatPortsConnections) {
  TS_REQUIRE_ROOT_OR_SKIP();
  const std::string& loopback = GetParam();
  Netns ns("trace-kport");
  constexpr uint16_t kWatched = 40021, kOther = 40022;
  constexpr size_t kConnections = 5, kOtherConnections = 20;
  const FilteredRun run = filtered_trace(
      ns, {"--port", std::to_string(kWatched)},
      [&] { return make_connections(ns.name(), loopback, kConnections, CloseMode::client_first, kWatched); },
      [&] { make_connections(ns.name(), loopback, kOtherConnections, CloseMode::client_first, kOther); },
      events_of_connections(kConnections));
  for (const auto& e : run.events) {
    const uint16_t local = port_of(e.value("local", ":0")), remote = port_of(e.value("remote", ":0"));
    EXPECT_TRUE(local == kWatched || remote == kWatched) << "event outside --port " << kWatched << ": " << e.dump();
  }
  expect_only_the_watched(run, kConnections, events_of_connections(kOtherConnections));
}

INSTANTIATE_TEST_SUITE_P(Families, CoreTraceKernelFilter, ::testing::Values("127.0.0.1", "::1"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param == "::1" ? "Ipv6" : "Ipv4"; });

// --addr in the kernel: the connections of one loopback address, not those of another.
TEST(CoreTraceKernelFilter, AddrStreamsOnlyThatAddresssConnections) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns ns("trace-kaddr");
  constexpr size_t kConnections = 4, kOtherConnections = 12;
  const FilteredRun run = filtered_trace(
      ns, {"--addr", "127.0.0.2"},
      [&] { return make_connections(ns.name(), "127.0.0.2", kConnections, CloseMode::client_first); },
      [&] { make_connections(ns.name(), "127.0.0.1", kOtherConnections, CloseMode::client_first); },
      events_of_connections(kConnections));
  // The client's own address is the kernel's choice (lo's 127.0.0.1): the server's end is 127.0.0.2.
  for (const auto& e : run.events)
    EXPECT_TRUE(e.value("local", "").starts_with("127.0.0.2:") || e.value("remote", "").starts_with("127.0.0.2:"))
        << "event outside --addr: " << e.dump();
  expect_only_the_watched(run, kConnections, events_of_connections(kOtherConnections));
}

// --fields gives exactly the keys asked for, in that order, on real events; the summary counts
// the events --port left out as filtered, not lost.
TEST(CoreTrace, FieldsChooseTheKeysAndTheSummaryCountsWhatTheFilterLeftOut) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns ns("trace-fields");
  constexpr uint16_t kWatched = 40011, kOther = 40012;
  Child trace({tcpsight_binary(), "trace", "--json", "--port", std::to_string(kWatched), "--fields",
               "new,kind,local,pid,old"},
              ns.inside());
  ASSERT_TRUE(trace.wait_for_line(Child::Stream::err, "tracing", 20s)) << trace.err();
  make_connections(ns.name(), "127.0.0.1", 2, CloseMode::client_first, kOther);
  make_connections(ns.name(), "127.0.0.1", 1, CloseMode::client_first, kWatched);
  // One client-closed loopback connection is 10 state events (design.md §1), its listener's
  // listen() and close() 2 more.
  constexpr size_t kWatchedEvents = 12, kOtherEvents = 2 * 10 + 2;
  trace.wait_for_lines(Child::Stream::out, kWatchedEvents, 5s);
  std::this_thread::sleep_for(200ms);
  trace.signal(SIGTERM);
  ASSERT_EQ(trace.wait(10s), 0) << trace.err();

  // ordered_json keeps the keys in the order trace printed them.
  std::istringstream out(trace.out());
  size_t lines = 0;
  for (std::string text; std::getline(out, text); ++lines) {
    const auto line = nlohmann::ordered_json::parse(text);
    std::vector<std::string> keys;
    for (const auto& item : line.items()) keys.push_back(item.key());
    EXPECT_EQ(keys, (std::vector<std::string>{"new", "kind", "local", "pid", "old"})) << text;
    EXPECT_EQ(line.at("kind"), "state") << text;
  }
  EXPECT_EQ(lines, kWatchedEvents) << trace.out();
  const uint64_t missed = trace_missed(trace.err());
  const std::string expected = std::to_string(kWatchedEvents) + " events delivered; lost " + std::to_string(missed) +
                               ": 0 not written, 0 dropped by the ring buffer, " + std::to_string(missed) +
                               " missed by the kernel; " + std::to_string(kOtherEvents) + " filtered out (" +
                               std::to_string(kOtherEvents) + " in the kernel)";
  EXPECT_NE(trace.err().find(expected), std::string::npos) << "want \"" << expected << "\" in: " << trace.err();
}

TEST(CoreTrace, StateTimeWaitShowsEachHandOverToATimeWaitSocket) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns ns("trace-tw");
  ns.set_sysctl("net.ipv4.tcp_tw_reuse", "0");  // no connect() may take over a TIME_WAIT socket's port
  constexpr size_t kConnections = 25;
  ConnectionRun run;
  const auto events = trace_around(ns, {"--state", "time-wait"}, [&] {
    run = make_connections(ns.name(), "127.0.0.1", kConnections, CloseMode::client_first);
  }, kConnections);
  ASSERT_EQ(run.client_ports.size(), kConnections);
  EXPECT_EQ(ns.wait_for_ss_count("time-wait", kConnections, 10s), kConnections) << "the kernel's TIME_WAIT sockets";

  // Exactly one event per connection (none of the other nine state changes), on the client's socket.
  const std::string server = endpoint("127.0.0.1", run.server_port);
  std::multiset<std::string> clients, shown;
  for (uint16_t port : run.client_ports) clients.insert(endpoint("127.0.0.1", port));
  EXPECT_EQ(events.size(), kConnections);
  for (const auto& e : events) {
    EXPECT_EQ(e.value("kind", ""), "state") << e.dump();
    EXPECT_EQ(e.value("new", ""), "CLOSE") << e.dump();
    EXPECT_TRUE(std::set<std::string>({"FIN_WAIT1", "FIN_WAIT2", "CLOSING"}).count(e.value("old", ""))) << e.dump();
    EXPECT_TRUE(e.value("time_wait", false)) << "flagged as the hand-over: " << e.dump();
    EXPECT_EQ(e.value("remote", ""), server) << e.dump();
    shown.insert(e.value("local", ""));
  }
  EXPECT_EQ(shown, clients) << "one event per client port";
}

TEST(CoreTrace, ResetCloseShowsBothEndsAndTheConnectingProcess) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns ns("trace-rst");
  pid_t peer_pid = -1;
  std::string listening;
  const auto events = trace_around(ns, {}, [&] {
    Child peer({test_tool("tcp_peer"), "--count", "1", "--close", "reset"}, ns.inside());
    peer_pid = peer.pid();
    EXPECT_EQ(peer.wait(20s), 0) << peer.err();
    listening = peer.wait_for_line(Child::Stream::out, "listening ", 1s).value_or("");
  }, 8);
  ASSERT_FALSE(listening.empty()) << "tcp_peer did not say where it listened";
  const std::string server = endpoint("127.0.0.1", static_cast<uint16_t>(std::stoul(listening.substr(10))));

  // The client socket is the one that entered SYN_SENT towards the server.
  std::string client;
  for (const auto& e : events)
    if (e.value("new", "") == "ESTABLISHED" && e.value("old", "") == "SYN_SENT" && e.value("remote", "") == server)
      client = e.value("local", "");
  ASSERT_FALSE(client.empty()) << "no SYN_SENT->ESTABLISHED towards " << server;
  const auto client_events = socket_events(events, client, server);
  const auto server_events = socket_events(events, server, client);
  EXPECT_EQ(transitions_of(client_events),
            (Transitions{"CLOSE->SYN_SENT", "SYN_SENT->ESTABLISHED", "ESTABLISHED->CLOSE"}));
  EXPECT_EQ(transitions_of(server_events),
            (Transitions{"LISTEN->SYN_RECV", "SYN_RECV->ESTABLISHED", "ESTABLISHED->CLOSE"}));
  ASSERT_FALSE(client_events.empty());
  ASSERT_FALSE(server_events.empty());

  // Owner: the helper process that connected. The passive socket's events ran in softirq context
  // and the reset closed it before the helper's close(): they name the helper (the holder at an
  // owner scan) or nobody, never another process.
  EXPECT_EQ(client_events.front().value("pid", int64_t{-1}), static_cast<int64_t>(peer_pid))
      << client_events.front().dump();
  EXPECT_EQ(client_events.front().value("comm", ""), "tcp_peer");
  for (const auto& e : server_events)
    EXPECT_TRUE(e.at("pid").is_null() || e.at("pid") == peer_pid) << e.dump();

  // The abort: a reset sent by the client's socket, received by the server's, which then closes
  // marked as reset; neither end waits in TIME_WAIT.
  const auto kind_count = [&](const std::string& kind, const nlohmann::json& cookie) {
    return std::count_if(events.begin(), events.end(),
                         [&](const auto& e) { return e.value("kind", "") == kind && e.at("cookie") == cookie; });
  };
  EXPECT_EQ(kind_count("reset_sent", client_events.front().at("cookie")), 1);
  EXPECT_EQ(kind_count("reset_received", server_events.front().at("cookie")), 1);
  EXPECT_TRUE(server_events.back().value("reset", false)) << server_events.back().dump();
  EXPECT_FALSE(client_events.back().value("time_wait", true)) << client_events.back().dump();
  EXPECT_FALSE(server_events.back().value("time_wait", true)) << server_events.back().dump();
}

}  // namespace
}  // namespace tcpsight::itest
