// `tcpsight stats --detail owners,listeners` against the kernel's own view: sockets per process
// and state as `ss -tanpH` lists them (a socket counted for every process in its users:(...)),
// each listener's backlog, accept queue and holders as `ss -ltnpH` prints them, and the sockets on
// its port as `ss -tanH` counts them; and the usage errors of --detail.
#include <algorithm>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "harness.hpp"

namespace tcpsight::itest {
namespace {

using StateCounts = std::map<std::string, uint64_t>;

std::vector<std::string> words_of(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// ss's state column as the kernel names the state.
std::string kernel_state(const std::string& ss) {
  static const std::map<std::string, std::string> kNames = {
      {"ESTAB", "ESTABLISHED"},     {"SYN-SENT", "SYN_SENT"},     {"SYN-RECV", "SYN_RECV"},
      {"FIN-WAIT-1", "FIN_WAIT1"},  {"FIN-WAIT-2", "FIN_WAIT2"},  {"TIME-WAIT", "TIME_WAIT"},
      {"CLOSE-WAIT", "CLOSE_WAIT"}, {"LAST-ACK", "LAST_ACK"},     {"LISTEN", "LISTEN"},
      {"CLOSING", "CLOSING"},       {"UNCONN", "CLOSE"}};
  const auto it = kNames.find(ss);
  return it == kNames.end() ? "?" + ss : it->second;
}

std::set<std::string> pids_in(const std::string& line) {
  std::set<std::string> pids;
  static const std::regex kPid(R"(pid=(\d+))");
  for (std::sregex_iterator it(line.begin(), line.end(), kPid), end; it != end; ++it) pids.insert((*it)[1]);
  return pids;
}

// "127.0.0.1:80", "[::]:80", "*:80" -> port
uint16_t port_of(const std::string& endpoint) {
  return static_cast<uint16_t>(std::stoul(endpoint.substr(endpoint.rfind(':') + 1)));
}

// Sockets per pid ("null": held by none) and state, as `ss -tanpH` lists them.
std::map<std::string, StateCounts> ss_owners(const Netns& ns) {
  std::map<std::string, StateCounts> by_pid;
  std::istringstream in(ns.run_checked({"ss", "-tanpH"}));
  for (std::string line; std::getline(in, line);) {
    const std::vector<std::string> w = words_of(line);
    if (w.empty()) continue;
    const std::string state = kernel_state(w[0]);
    const std::set<std::string> pids = pids_in(line);
    if (pids.empty()) ++by_pid["null"][state];
    for (const std::string& p : pids) ++by_pid[p][state];
  }
  return by_pid;
}

std::map<std::string, StateCounts> reported_owners(const nlohmann::json& report) {
  std::map<std::string, StateCounts> by_pid;
  for (const auto& o : report["detail"]["owners"]) {
    const std::string pid = o["pid"].is_null() ? "null" : std::to_string(o["pid"].get<uint64_t>());
    StateCounts& states = by_pid[pid];
    uint64_t sum = 0;
    for (const auto& [state, n] : o["states"].items()) sum += (states[state] = n.get<uint64_t>());
    if (sum != o["sockets"].get<uint64_t>()) states["sockets-do-not-add-up"] = 1;
  }
  return by_pid;
}

struct SsListener {
  uint64_t accept_queue = 0, backlog = 0;
  std::set<std::string> pids;
  StateCounts connections;  // the other sockets of its port, from ss -tanH
};

// Each listener by port, as `ss -ltnpH` and `ss -tanH` show it.
std::map<uint16_t, SsListener> ss_listeners(const Netns& ns) {
  std::map<uint16_t, SsListener> out;
  std::istringstream listening(ns.run_checked({"ss", "-ltnpH"}));
  for (std::string line; std::getline(listening, line);) {
    const std::vector<std::string> w = words_of(line);  // State Recv-Q Send-Q Local Peer users:(...)
    if (w.size() < 5) continue;
    SsListener& l = out[port_of(w[3])];
    l.accept_queue = std::stoull(w[1]);
    l.backlog = std::stoull(w[2]);
    l.pids = pids_in(line);
  }
  std::istringstream all(ns.run_checked({"ss", "-tanH"}));
  for (std::string line; std::getline(all, line);) {
    const std::vector<std::string> w = words_of(line);
    if (w.size() < 5 || w[0] == "LISTEN") continue;
    if (const auto it = out.find(port_of(w[3])); it != out.end()) ++it->second.connections[kernel_state(w[0])];
  }
  return out;
}

std::map<uint16_t, SsListener> reported_listeners(const nlohmann::json& report) {
  std::map<uint16_t, SsListener> out;
  for (const auto& l : report["detail"]["listeners"]) {
    SsListener& s = out[l["port"].get<uint16_t>()];
    s.accept_queue = l["accept_queue"];
    s.backlog = l["backlog"];
    for (const auto& p : l["pids"]) s.pids.insert(std::to_string(p.get<uint64_t>()));
    for (const auto& [state, n] : l["connections"].items()) s.connections[state] = n;
  }
  return out;
}

std::string describe(const std::map<std::string, StateCounts>& m) {
  std::string out;
  for (const auto& [pid, states] : m) {
    out += pid + ":";
    for (const auto& [s, n] : states) out += " " + s + "=" + std::to_string(n);
    out += "\n";
  }
  return out;
}

std::string describe(const std::map<uint16_t, SsListener>& m) {
  std::string out;
  for (const auto& [port, l] : m) {
    out += std::to_string(port) + ": accept " + std::to_string(l.accept_queue) + "/" + std::to_string(l.backlog) +
           " pids";
    for (const auto& p : l.pids) out += " " + p;
    for (const auto& [s, n] : l.connections) out += " " + s + "=" + std::to_string(n);
    out += "\n";
  }
  return out;
}

bool operator==(const SsListener& a, const SsListener& b) {
  return a.accept_queue == b.accept_queue && a.backlog == b.backlog && a.pids == b.pids &&
         a.connections == b.connections;
}

// A pre-fork server (its listener shared by the parent and two children), a client and server
// holding five connections in one process, and a leak of seven CLOSE_WAIT sockets whose client
// ends wait in FIN_WAIT2, held by nobody.
class StatsDetailWorkload {
 public:
  explicit StatsDetailWorkload(const Netns& ns)
      : server_({test_tool("prefork_server"), "--children", "2", "--linger-ms", "60000", "--max-seconds", "90"},
                 ns.inside()),
        peer_({test_tool("tcp_peer"), "--count", "5", "--hold", "60", "--max-seconds", "90"}, ns.inside()),
        leak_({test_tool("close_wait_leak"), "--count", "7", "--max-seconds", "90"}, ns.inside()) {}

  ::testing::AssertionResult ready(const Netns& ns) {
    if (!server_.wait_for_line(Child::Stream::out, "children ", 20s))
      return ::testing::AssertionFailure() << "prefork_server: " << server_.err();
    if (!peer_.wait_for_line(Child::Stream::out, "listening ", 20s))
      return ::testing::AssertionFailure() << "tcp_peer: " << peer_.err();
    if (!leak_.wait_for_line(Child::Stream::out, "leaking 7", 20s))
      return ::testing::AssertionFailure() << "close_wait_leak: " << leak_.err();
    if (ns.wait_for_ss_count("established", 10, 10s) != 10u)
      return ::testing::AssertionFailure() << "not 10 ESTABLISHED sockets";
    if (ns.wait_for_ss_count("close-wait", 7, 10s) != 7u) return ::testing::AssertionFailure() << "not 7 CLOSE_WAIT";
    return ::testing::AssertionSuccess();
  }
  pid_t leak_pid() const { return leak_.pid(); }
  pid_t peer_pid() const { return peer_.pid(); }

 private:
  Child server_, peer_, leak_;
};

TEST(CoreStatsDetail, OwnersAndListenersAreWhatSsShowsForThem) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns ns("stats-detail");
  StatsDetailWorkload work(ns);
  ASSERT_TRUE(work.ready(ns));

  Child stats({tcpsight_binary(), "stats", "--json", "--interval", "0.5", "--detail", "owners,listeners"},
              ns.inside());
  ASSERT_TRUE(stats.wait_for_lines(Child::Stream::out, 1, 20s)) << stats.err();

  // The workload is still, so a report and ss agree; allow a few reports for one taken mid-start.
  std::map<std::string, StateCounts> ss_o, shown_o;
  std::map<uint16_t, SsListener> ss_l, shown_l;
  nlohmann::json last;
  const bool same = wait_until(
      [&] {
        const auto reports = json_lines(stats.out());
        if (reports.empty()) return false;
        last = reports.back();
        ss_o = ss_owners(ns);
        ss_l = ss_listeners(ns);
        shown_o = reported_owners(last);
        shown_l = reported_listeners(last);
        return shown_o == ss_o && shown_l == ss_l;
      },
      10s, 600ms);
  EXPECT_EQ(describe(shown_o), describe(ss_o)) << "owners differ from ss -tanpH by pid";
  EXPECT_EQ(describe(shown_l), describe(ss_l)) << "listeners differ from ss -ltnpH / ss -tanH";
  EXPECT_TRUE(same);
  // What the workload is: 5 processes (the server's three, the peer, the leak) and those no process holds.
  EXPECT_EQ(shown_o.size(), 6u) << last["detail"].dump();
  ASSERT_TRUE(shown_o.count("null"));
  EXPECT_EQ(shown_o["null"]["FIN_WAIT2"], 7u);  // the leak's orphaned client ends
  EXPECT_EQ(shown_o[std::to_string(work.leak_pid())]["CLOSE_WAIT"], 7u);
  EXPECT_EQ(shown_l.size(), 3u);
  size_t prefork_pids = 0;
  for (const auto& [port, l] : shown_l) prefork_pids = std::max(prefork_pids, l.pids.size());
  EXPECT_EQ(prefork_pids, 3u) << "the pre-fork listener is held by the parent and both children";
  EXPECT_EQ(last["detail"]["owners_more"], 0);
  EXPECT_EQ(last["detail"]["listeners_more"], 0);
  // The detail sits beside the usual keys, which stay as they were.
  EXPECT_EQ(last["sockets"]["CLOSE_WAIT"], 7);
  EXPECT_TRUE(last.contains("listeners") && last["listeners"][0].contains("max_backlog")) << last.dump();

  stats.signal(SIGTERM);
  EXPECT_EQ(stats.wait(10s), 0) << stats.err();
}

TEST(CoreStatsDetail, TextOutputListsOwnersAndListenersAndTheLimitIsCounted) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns ns("stats-detail-text");
  StatsDetailWorkload work(ns);
  ASSERT_TRUE(work.ready(ns));

  const std::string text =
      ns.run_checked({tcpsight_binary(), "stats", "--count", "1", "--detail", "owners", "--detail", "listeners"});
  const std::regex leak_line("\nowner +" + std::to_string(work.leak_pid()) +
                             " close_wait_leak +sockets +8  CLOSE_WAIT 7 LISTEN 1  listening \\d+\n");
  EXPECT_TRUE(std::regex_search(text, leak_line)) << text;
  EXPECT_TRUE(std::regex_search(text, std::regex("\nowner +- +- +sockets +7  FIN_WAIT2 7\n"))) << text;
  size_t listener_lines = 0;
  for (size_t at = 0; (at = text.find("\nlistener    ", at)) != std::string::npos; ++at) ++listener_lines;
  EXPECT_EQ(listener_lines, 3u) << text;

  // At most one of each: the rest counted, never dropped silently.
  const nlohmann::json report = nlohmann::json::parse(ns.run_checked(
      {tcpsight_binary(), "stats", "--json", "--count", "1", "--detail", "owners,listeners", "--detail-limit", "1"}));
  const nlohmann::json& d = report["detail"];
  EXPECT_EQ(d["limit"], 1);
  ASSERT_EQ(d["owners"].size(), 2u) << d.dump();  // the busiest process, then those no process holds
  EXPECT_EQ(d["owners"][0]["pid"], work.peer_pid()) << d.dump();  // 11 sockets: both ends of 5, its listener
  EXPECT_TRUE(d["owners"][1]["pid"].is_null());
  EXPECT_EQ(d["owners_more"], 4);
  EXPECT_EQ(d["listeners"].size(), 1u);
  EXPECT_EQ(d["listeners_more"], 2);
}

TEST(CoreStatsDetail, BadDetailIsAUsageErrorWithExitTwo) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--detail", "bogus"}, std::vector<std::string>{"--detail", ""},
        std::vector<std::string>{"--detail", "owners,bogus"}, std::vector<std::string>{"--detail", "owners,"},
        std::vector<std::string>{"--detail-limit", "5"}, std::vector<std::string>{"--detail", "owners", "--detail-limit", "0"}}) {
    std::vector<std::string> argv{tcpsight_binary(), "stats", "--json", "--count", "1"};
    argv.insert(argv.end(), args.begin(), args.end());
    const CommandResult r = run_command(argv, {}, 10s);
    std::string shown;
    for (const auto& a : args) shown += "'" + a + "' ";
    EXPECT_EQ(r.exit_code, 2) << shown << r.err;
    EXPECT_NE(r.err.find("--detail"), std::string::npos) << shown << r.err;
    EXPECT_NE(r.err.find("usage"), std::string::npos) << shown << r.err;
    EXPECT_TRUE(r.out.empty()) << shown << r.out;
  }
}

TEST(CoreStatsDetail, AnotherNamespacesDetailIsReadInsideIt) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns ns("stats-detail-ns");
  StatsDetailWorkload work(ns);
  ASSERT_TRUE(work.ready(ns));
  // Run in the test's own namespace: --netns names the one to read, which the details pass enters.
  Child stats({tcpsight_binary(), "stats", "--json", "--interval", "0.5", "--netns", ns.name(), "--detail",
               "owners,listeners"});
  ASSERT_TRUE(stats.wait_for_lines(Child::Stream::out, 2, 20s)) << stats.err();
  std::map<std::string, StateCounts> ss_o, shown_o;
  std::map<uint16_t, SsListener> ss_l, shown_l;
  const bool same = wait_until(
      [&] {
        for (const nlohmann::json& r : json_lines(stats.out()))
          if (r.contains("netns") && r["netns"] == ns.inode() && r.contains("detail")) {
            shown_o = reported_owners(r);
            shown_l = reported_listeners(r);
          }
        ss_o = ss_owners(ns);
        ss_l = ss_listeners(ns);
        return !shown_o.empty() && shown_o == ss_o && shown_l == ss_l;
      },
      10s, 600ms);
  EXPECT_EQ(describe(shown_o), describe(ss_o)) << "owners differ from ss -tanpH by pid";
  EXPECT_EQ(describe(shown_l), describe(ss_l)) << "listeners differ from ss -ltnpH / ss -tanH";
  EXPECT_TRUE(same);
  EXPECT_EQ(shown_o[std::to_string(work.leak_pid())]["CLOSE_WAIT"], 7u);
  stats.signal(SIGTERM);
  EXPECT_EQ(stats.wait(10s), 0) << stats.err();
}

}  // namespace
}  // namespace tcpsight::itest
