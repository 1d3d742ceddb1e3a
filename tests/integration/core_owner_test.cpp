// Owners are the processes that hold the socket (design.md §5): a pre-fork server's children own
// what they accept and the parent never does, a passed fd belongs to its receiver, `--pid` finds a
// server started before tcpsight, and the owner scan agrees with the kernel's own view (`ss -p`).
#include <unistd.h>

#include <csignal>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "harness.hpp"

namespace tcpsight::itest {
namespace {

// The value of `key=` in a test tool's line ("accepted peer=4000 pid=12"), or -1.
long field(const std::string& line, const std::string& key) {
  std::istringstream in(line);
  for (std::string token; in >> token;)
    if (token.rfind(key + "=", 0) == 0) return std::stol(token.substr(key.size() + 1));
  return -1;
}

// The numbers after `word` in "word 12 13".
std::vector<pid_t> numbers_after(const std::string& line, const std::string& word) {
  std::istringstream in(line.substr(line.find(word) + word.size()));
  std::vector<pid_t> out;
  for (pid_t n; in >> n;) out.push_back(n);
  return out;
}

uint16_t listening_port(Child& tool) {
  const auto line = tool.wait_for_line(Child::Stream::out, "listening ", 20s);
  if (!line) {
    ADD_FAILURE() << "the tool never listened: " << tool.err();
    return 0;
  }
  return static_cast<uint16_t>(numbers_after(*line, "listening").at(0));
}

// Waits for the tool's "<verb> peer=<port> ..." line; returns its pid= (or -1).
long wait_for_peer(Child& tool, const std::string& verb, uint16_t peer, Seconds timeout = 20s) {
  const auto line = tool.wait_for_line(Child::Stream::out, verb + " peer=" + std::to_string(peer) + " ", timeout);
  if (!line) {
    ADD_FAILURE() << "no '" << verb << "' line for peer " << peer << "; stderr: " << tool.err();
    return -1;
  }
  return field(*line, "pid");
}

Fd connect_in(const Netns& ns, uint16_t port) {
  Fd fd;
  run_in_netns(ns.name(), [&] { fd = tcp_connect("127.0.0.1", port); });
  return fd;
}

std::string endpoint(uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

uint16_t port_of(const std::string& endpoint) {
  return static_cast<uint16_t>(std::stoul(endpoint.substr(endpoint.rfind(':') + 1)));
}

long pid_of(const nlohmann::json& e) { return e.at("pid").is_null() ? 0 : e.at("pid").get<long>(); }

// `tcpsight trace --json EXTRA...` in a namespace, from start to SIGTERM (which flushes what it holds).
class Trace {
 public:
  Trace(const Netns& ns, const std::vector<std::string>& extra) : child_(argv(extra), ns.inside()) {}
  bool started() { return child_.wait_for_line(Child::Stream::err, "tracing", 20s).has_value(); }
  std::vector<nlohmann::json> stop() {
    child_.signal(SIGTERM);
    EXPECT_EQ(child_.wait(20s), 0) << child_.err();
    return json_lines(child_.out());
  }
  // What trace said on stderr: its end summary (delivered, lost, missed by the kernel) among it.
  std::string err() { return child_.err(); }

 private:
  static std::vector<std::string> argv(const std::vector<std::string>& extra) {
    std::vector<std::string> a{tcpsight_binary(), "trace", "--json"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  Child child_;
};

// Every event (any kind) of the socket that at some point had this local and remote endpoint.
std::vector<nlohmann::json> socket_events(const std::vector<nlohmann::json>& events, const std::string& local,
                                          const std::string& remote) {
  std::set<uint64_t> cookies;
  for (const auto& e : events)
    if (e.value("local", "") == local && e.value("remote", "") == remote) cookies.insert(e.at("cookie").get<uint64_t>());
  std::vector<nlohmann::json> out;
  for (const auto& e : events)
    if (cookies.contains(e.at("cookie").get<uint64_t>())) out.push_back(e);
  return out;
}

TEST(CoreOwners, PreForkChildrenOwnWhatTheyAcceptNeverTheParent) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns ns("own-prefork");
  Child server({test_tool("prefork_server"), "--children", "2", "--max-seconds", "120"}, ns.inside());
  const uint16_t port = listening_port(server);
  const auto children_line = server.wait_for_line(Child::Stream::out, "children ", 20s);
  ASSERT_TRUE(children_line && port) << server.err();
  const std::vector<pid_t> children = numbers_after(*children_line, "children");
  ASSERT_EQ(children.size(), 2u);

  Trace all(ns, {"--port", std::to_string(port)});
  Trace first_child(ns, {"--port", std::to_string(port), "--pid", std::to_string(children[0])});
  ASSERT_TRUE(all.started());
  ASSERT_TRUE(first_child.started());

  // Two connections open at a time: the child serving the first is busy reading it, so the other
  // child accepts the second. The client closes first; a child closes when it reads EOF.
  std::map<uint16_t, pid_t> accepted_by;  // client port -> child
  constexpr int kRounds = 5;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<Fd> clients;
    for (int i = 0; i < 2; ++i) {
      clients.push_back(connect_in(ns, port));
      const uint16_t client_port = local_port(clients.back());
      accepted_by[client_port] = static_cast<pid_t>(wait_for_peer(server, "accepted", client_port));
    }
    for (Fd& c : clients) {
      const uint16_t client_port = local_port(c);
      c.reset();
      wait_for_peer(server, "closed", client_port);
    }
  }
  const auto events = all.stop();
  const auto child_events = first_child.stop();

  std::set<pid_t> acceptors;
  size_t named = 0, unnamed = 0;
  for (const auto& [client_port, child] : accepted_by) {
    acceptors.insert(child);
    const auto socket = socket_events(events, endpoint(port), endpoint(client_port));
    ASSERT_FALSE(socket.empty()) << "no event of the server socket for client port " << client_port << "\n"
                                 << all.err();
    bool child_shown = false;
    for (const auto& e : socket) {
      const long pid = pid_of(e);
      if (!pid) {
        ++unnamed;
        continue;
      }
      ++named;
      EXPECT_EQ(pid, child) << "accepted by child " << child << " (parent " << server.pid() << "): " << e.dump();
      child_shown = child_shown || pid == child;
    }
    EXPECT_TRUE(child_shown) << "no event of client port " << client_port << " names child " << child;
  }
  EXPECT_EQ(acceptors, (std::set<pid_t>(children.begin(), children.end()))) << "both children accepted";
  // The listener made no event while traced: the parent, which never accepts, owns no event.
  for (const auto& e : events) EXPECT_NE(pid_of(e), server.pid()) << e.dump();
  report_figure("prefork_events_named", static_cast<double>(named));
  report_figure("prefork_events_unknown", static_cast<double>(unnamed));

  // --pid: that child's connections, every one of them, and nothing else (not the client ends).
  std::set<uint16_t> expected, shown;
  for (const auto& [client_port, child] : accepted_by)
    if (child == children[0]) expected.insert(client_port);
  for (const auto& e : child_events) {
    EXPECT_EQ(e.value("local", ""), endpoint(port)) << e.dump();
    const uint16_t remote = port_of(e.value("remote", ":0"));
    EXPECT_TRUE(expected.contains(remote)) << "not child " << children[0] << "'s: " << e.dump();
    shown.insert(remote);
  }
  EXPECT_EQ(shown, expected);
}

TEST(CoreOwners, PassedFdBelongsToItsReceiverAfterThePass) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns ns("own-pass");
  // B keeps each connection 1 s after the client's FIN: the events before its close() can only
  // be named by an owner scan.
  Child passer({test_tool("fd_passer"), "--linger-ms", "1000", "--max-seconds", "120"}, ns.inside());
  const uint16_t port = listening_port(passer);
  const auto receiver_line = passer.wait_for_line(Child::Stream::out, "receiver ", 20s);
  ASSERT_TRUE(receiver_line && port) << passer.err();
  const pid_t a = passer.pid(), b = numbers_after(*receiver_line, "receiver").at(0);

  Trace trace(ns, {"--port", std::to_string(port)});
  ASSERT_TRUE(trace.started());
  std::vector<uint16_t> client_ports;
  constexpr int kConnections = 3;
  for (int i = 0; i < kConnections; ++i) {
    Fd client = connect_in(ns, port);
    const uint16_t client_port = local_port(client);
    client_ports.push_back(client_port);
    ASSERT_EQ(wait_for_peer(passer, "received", client_port), b);  // A has passed it on and closed its copy
    client.reset();
    ASSERT_EQ(wait_for_peer(passer, "closed", client_port), b);
  }
  const auto events = trace.stop();

  for (const uint16_t client_port : client_ports) {
    const auto socket = socket_events(events, endpoint(port), endpoint(client_port));
    bool passed = false;  // from the client's FIN on, every event is after the pass
    std::vector<std::string> after;
    for (const auto& e : socket) {
      passed = passed || e.value("new", "") == "CLOSE_WAIT";
      if (passed) {
        after.push_back(e.value("old", "?") + "->" + e.value("new", "?"));
        EXPECT_EQ(pid_of(e), b) << "after the pass to " << b << " (from " << a << "): " << e.dump();
      } else {
        EXPECT_TRUE(pid_of(e) == 0 || pid_of(e) == a || pid_of(e) == b) << e.dump();
      }
    }
    EXPECT_EQ(after, (std::vector<std::string>{"ESTABLISHED->CLOSE_WAIT", "CLOSE_WAIT->LAST_ACK", "LAST_ACK->CLOSE"}))
        << "client port " << client_port;
  }
}

TEST(CoreOwners, PidFindsAServerStartedBeforeTracing) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns ns("own-early");
  // One process, a thread per connection; it closes 700 ms after the client does.
  Child server({test_tool("prefork_server"), "--children", "0", "--linger-ms", "700", "--max-seconds", "120"},
               ns.inside());
  const uint16_t port = listening_port(server);
  ASSERT_NE(port, 0);
  {  // serving before tcpsight starts
    Fd early = connect_in(ns, port);
    wait_for_peer(server, "accepted", local_port(early));
  }

  Trace trace(ns, {"--pid", std::to_string(server.pid())});
  ASSERT_TRUE(trace.started());
  std::set<uint16_t> made;
  constexpr int kWaves = 2, kPerWave = 4;
  for (int wave = 0; wave < kWaves; ++wave) {
    std::vector<Fd> clients;
    for (int i = 0; i < kPerWave; ++i) {
      clients.push_back(connect_in(ns, port));
      made.insert(local_port(clients.back()));
    }
    std::this_thread::sleep_for(300ms);  // the connections' life, not a wait for anything
    for (Fd& c : clients) c.reset();
  }
  for (const uint16_t p : made) wait_for_peer(server, "closed", p);
  const auto events = trace.stop();

  std::set<uint16_t> shown;
  std::map<uint16_t, std::set<std::string>> transitions;
  for (const auto& e : events) {
    EXPECT_EQ(e.value("local", ""), endpoint(port)) << "only the server's sockets: " << e.dump();
    const uint16_t remote = port_of(e.value("remote", ":0"));
    if (!made.contains(remote)) continue;  // the connection made before tracing, closing now
    shown.insert(remote);
    transitions[remote].insert(e.value("old", "?") + "->" + e.value("new", "?"));
  }
  EXPECT_EQ(shown.size(), made.size());
  EXPECT_EQ(shown, made);
  // The client's FIN arrives in softirq context and the server closes 700 ms later: that event is
  // the server's only through the owner scan.
  for (const uint16_t p : made) EXPECT_TRUE(transitions[p].contains("ESTABLISHED->CLOSE_WAIT")) << "client port " << p;
}

// (cookie, pid, fd) of every socket user `ss -tanpe` lists in the namespace.
std::set<std::tuple<uint64_t, long, long>> ss_users(const Netns& ns) {
  std::set<std::tuple<uint64_t, long, long>> out;
  std::istringstream in(ns.run_checked({"ss", "-tanpeH"}));
  const std::regex user(R"(pid=(\d+),fd=(\d+))"), cookie(R"( sk:([0-9a-f]+))");
  for (std::string line; std::getline(in, line);) {
    std::smatch c;
    if (!std::regex_search(line, c, cookie)) continue;
    const uint64_t sk = std::stoull(c[1].str(), nullptr, 16);
    for (auto it = std::sregex_iterator(line.begin(), line.end(), user); it != std::sregex_iterator(); ++it)
      out.emplace(sk, std::stol((*it)[1].str()), std::stol((*it)[2].str()));
  }
  return out;
}

TEST(CoreOwners, ScanHoldersEqualSsUsers) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns ns("own-ss");
  Child prefork({test_tool("prefork_server"), "--children", "2", "--max-seconds", "120"}, ns.inside());
  Child threaded({test_tool("prefork_server"), "--children", "0", "--max-seconds", "120"}, ns.inside());
  const uint16_t prefork_port = listening_port(prefork), threaded_port = listening_port(threaded);
  ASSERT_TRUE(prefork.wait_for_line(Child::Stream::out, "children ", 20s)) << prefork.err();
  std::vector<Fd> clients;  // held by this process; their peers by the children and the threads
  for (int i = 0; i < 2; ++i) {
    clients.push_back(connect_in(ns, prefork_port));
    wait_for_peer(prefork, "accepted", local_port(clients.back()));
  }
  for (int i = 0; i < 3; ++i) {
    clients.push_back(connect_in(ns, threaded_port));
    wait_for_peer(threaded, "accepted", local_port(clients.back()));
  }

  // ss first: the kernel gives a socket its cookie at the first ask (inet_diag here), and the scan
  // only reads cookies. Nothing opens or closes sockets in this namespace in between.
  const auto expected = ss_users(ns);
  const std::string scan = run_checked({test_tool("owner_scan")}, ns.inside());
  std::set<std::tuple<uint64_t, long, long>> found;
  size_t records = 0;
  std::istringstream in(scan);
  std::string summary;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("scan ", 0) == 0) summary = line;
    if (line.rfind("owner ", 0) != 0) continue;
    ++records;
    const auto cookie = static_cast<uint64_t>(std::stoull(line.substr(line.find("cookie=") + 7)));
    found.emplace(cookie, field(line, "pid"), field(line, "fd"));
    EXPECT_EQ(field(line, "tid"), field(line, "pid")) << "a thread with a file table of its own: " << line;
  }
  EXPECT_EQ(ss_users(ns), expected) << "sockets changed while measuring";
  // 1 listener x 3 processes + 2 accepted + 1 listener + 3 accepted + 5 client ends.
  EXPECT_EQ(expected.size(), 14u);
  EXPECT_EQ(found, expected) << scan;
  EXPECT_EQ(records, found.size()) << "one record per (socket, process, fd)";
  EXPECT_EQ(field(summary, "duplicate_threads"), 0) << "the kernel skips threads sharing their leader's files";
  EXPECT_EQ(field(summary, "without_cookie"), 0) << summary;
  report_figure("owner_scan_files", static_cast<double>(field(summary, "files")));
}

}  // namespace
}  // namespace tcpsight::itest
