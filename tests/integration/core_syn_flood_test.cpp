// A SYN flood from spoofed sources: each half-open connection's SYN-ACK retransmits are streamed
// with the request socket's own addresses (the SYN's source as remote, the listener as local), and
// counted as the kernel counts them (TcpExt.TCPSynRetrans of the server's namespace).
#include <csignal>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "harness.hpp"

namespace tcpsight::itest {
namespace {

constexpr const char* kClientAddr = "10.204.1.1";
constexpr const char* kServerAddr = "10.204.1.2";
constexpr int kSources = 50;
constexpr int kFirstSource = 100;  // 10.204.1.100 ... 10.204.1.149: addresses no namespace owns
// Where the server sends the SYN-ACKs to those sources: a MAC no interface has, so they leave the
// server's veth and the client's drops them (neither answered nor reset).
constexpr const char* kNowhere = "02:00:00:00:00:99";

std::string source(int i) { return "10.204.1." + std::to_string(kFirstSource + i); }

TEST(CoreSynFlood, SynAckRetransmitsCarryTheSpoofedSourcesAndMatchTheKernel) {
  TS_REQUIRE_ROOT_OR_SKIP();
  HalfOpenServer server("synflood", kClientAddr, kServerAddr);  // syncookies off, a large SYN backlog
  for (int i = 0; i < kSources; ++i)
    server.server_ns.run_checked(
        {"ip", "neigh", "replace", source(i), "lladdr", kNowhere, "dev", "tsveth0", "nud", "permanent"});
  const std::string listener = std::string(kServerAddr) + ":" + std::to_string(server.port);

  Child stats({tcpsight_binary(), "stats", "--json", "--interval", "0.5"}, server.server_ns.inside());
  Child trace({tcpsight_binary(), "trace", "--json"}, server.server_ns.inside());
  ASSERT_TRUE(stats.wait_for_lines(Child::Stream::out, 1, 20s)) << "no first report: " << stats.err();
  ASSERT_TRUE(trace.wait_for_line(Child::Stream::err, "tracing", 20s)) << trace.err();
  const KernelCounters before = server.server_ns.kernel_counters();

  const CommandResult flood = server.client_ns.run({test_tool("syn_flood"), "--dst", kServerAddr, "--port",
                                                    std::to_string(server.port), "--first-source", source(0),
                                                    "--count", std::to_string(kSources)});
  ASSERT_EQ(flood.exit_code, 0) << flood.err;
  std::set<std::string> spoofed;  // "10.204.1.100:34567"
  std::istringstream lines(flood.out);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("sent ", 0) == 0) spoofed.insert(line.substr(5));
  ASSERT_EQ(spoofed.size(), static_cast<size_t>(kSources)) << flood.out;
  ASSERT_TRUE(wait_until([&] { return server.server_ns.ss_count("syn-recv") == kSources; }, 10s))
      << "the server kept " << server.server_ns.ss_count("syn-recv") << " request sockets";

  // Wait for the first SYN-ACK retransmission of every request socket (1 s after its SYN), then
  // close the listener: its request sockets are dropped at their next timer, unretransmitted, so the
  // kernel's count is final.
  const auto synack_events = [&] {
    std::vector<nlohmann::json> out;
    for (const auto& e : json_lines(trace.out()))
      if (e.value("kind", "") == "synack_retransmit") out.push_back(e);
    return out;
  };
  const auto remotes = [](const std::vector<nlohmann::json>& events) {
    std::set<std::string> out;
    for (const auto& e : events) out.insert(e.value("remote", ""));
    return out;
  };
  const bool all_retransmitted = wait_until([&] { return remotes(synack_events()).size() >= spoofed.size(); }, 15s, 100ms);
  server.listener.reset();
  EXPECT_TRUE(all_retransmitted) << "SYN-ACK retransmits seen from " << remotes(synack_events()).size() << " sources";
  ASSERT_TRUE(wait_until([&] { return server.server_ns.ss_count("syn-recv") == 0; }, 15s, 100ms))
      << "request sockets outlived their listener";
  const KernelCounters after = server.server_ns.kernel_counters();
  const int64_t kernel = after.at("TcpExt.TCPSynRetrans") - before.at("TcpExt.TCPSynRetrans");
  const int64_t retrans_segs = after.at("Tcp.RetransSegs") - before.at("Tcp.RetransSegs");
  report_figure("TcpExt.TCPSynRetrans delta", static_cast<double>(kernel));
  report_figure("Tcp.RetransSegs delta", static_cast<double>(retrans_segs));
  EXPECT_EQ(retrans_segs, kernel) << "nothing but SYN-ACKs was retransmitted here";

  const size_t seen = stats.lines(Child::Stream::out).size();
  ASSERT_TRUE(stats.wait_for_lines(Child::Stream::out, seen + 2, 10s)) << stats.err();
  const std::string note = recursion_note(stats.pid());
  stats.signal(SIGTERM);
  ASSERT_EQ(stats.wait(10s), 0) << stats.err();
  const auto reports = json_lines(stats.out());
  ASSERT_FALSE(reports.empty());
  const auto counted = reports.back().at("synack_retransmits").get<uint64_t>();
  report_figure("stats synack_retransmits", static_cast<double>(counted));
  expect_counted(counted, static_cast<uint64_t>(kernel), reports.back().at("events").at("missed").get<uint64_t>(),
                 "stats synack_retransmits vs TcpExt.TCPSynRetrans delta; " + note);
  EXPECT_EQ(reports.back().at("retransmits").get<uint64_t>(), 0u) << "no data retransmission";

  trace.signal(SIGTERM);
  ASSERT_EQ(trace.wait(10s), 0) << trace.err();
  const auto events = synack_events();
  report_figure("trace synack_retransmit events", static_cast<double>(events.size()));
  const uint64_t trace_skipped = trace_missed(trace.err());
  expect_counted(events.size(), static_cast<uint64_t>(kernel), trace_skipped, "trace's synack_retransmit events");
  if (trace_skipped == 0) {
    EXPECT_EQ(remotes(events), spoofed) << "remote: each SYN's spoofed source and port";
  } else {
    for (const std::string& r : remotes(events)) EXPECT_TRUE(spoofed.count(r)) << r << " was not a spoofed source";
  }
  for (const auto& e : events) {
    EXPECT_EQ(e.value("local", ""), listener) << e.dump();
    EXPECT_EQ(e.value("state", ""), "NEW_SYN_RECV") << e.dump();  // a request socket
  }
}

}  // namespace
}  // namespace tcpsight::itest
