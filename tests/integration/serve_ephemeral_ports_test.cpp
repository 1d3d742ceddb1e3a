// `tcpsight serve` on client-side ephemeral port use, against an oracle computed from `ss -tanH` of
// the same namespace: the server side of connections holds no ephemeral port however many TIME_WAIT
// sockets it leaves; client sockets count per destination exactly as ss lists them; --max-destinations
// sums the rest into remote="other". The scraper runs in a namespace of its own (joined by a veth),
// so that the scrapes' own client sockets are not among the host's.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "harness.hpp"
#include "serve_test_support.hpp"

namespace tcpsight::itest::serve {
namespace {

constexpr const char* kHostAddr = "10.202.1.1";     // where the exporter listens
constexpr const char* kScraperAddr = "10.202.1.2";  // the scraper's namespace
constexpr uint16_t kRangeLow = 41000, kRangeHigh = 42999;

struct SsSocket {
  std::string state, local, remote;
};

uint16_t port_of(const std::string& endpoint) {
  return static_cast<uint16_t>(std::stoul(endpoint.substr(endpoint.rfind(':') + 1)));
}

std::vector<SsSocket> ss_sockets(const Netns& ns) {
  std::vector<SsSocket> out;
  std::istringstream in(ns.run_checked({"ss", "-tanH"}));
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    SsSocket s;
    std::string recv_q, send_q;
    if (words >> s.state >> recv_q >> send_q >> s.local >> s.remote) out.push_back(s);
  }
  return out;
}

// The oracle: per destination ("ADDR:PORT"), the sockets whose local port lies in the range and is
// not a port a local listener listens on (those are the server side of accepted connections).
std::map<std::string, double> client_ports_by_destination(const std::vector<SsSocket>& sockets) {
  std::set<uint16_t> listening;
  for (const SsSocket& s : sockets)
    if (s.state == "LISTEN") listening.insert(port_of(s.local));
  std::map<std::string, double> out;
  for (const SsSocket& s : sockets) {
    const uint16_t port = port_of(s.local);
    if (s.state == "LISTEN" || port < kRangeLow || port > kRangeHigh || listening.count(port)) continue;
    ++out[s.remote];
  }
  return out;
}

// tcpsight_ephemeral_ports_used by its remote label.
std::map<std::string, double> exported_by_destination(const std::map<std::string, double>& samples) {
  const std::string prefix = R"(tcpsight_ephemeral_ports_used{remote=")";
  std::map<std::string, double> out;
  for (const auto& [series, value] : samples)
    if (series.starts_with(prefix)) out[series.substr(prefix.size(), series.size() - prefix.size() - 2)] = value;
  return out;
}

size_t count_of(const std::vector<SsSocket>& sockets, const std::string& state, const std::string& local) {
  size_t n = 0;
  for (const SsSocket& s : sockets) n += s.state == state && s.local == local;
  return n;
}

TEST(ServeEphemeralPorts, ClientSocketsPerDestinationMatchSsAndTheServerSideUsesNone) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns host("serve-eph");
  Netns scraper("serve-eph-scr");
  connect_veth(host, std::string(kHostAddr) + "/24", scraper, std::string(kScraperAddr) + "/24");
  host.set_sysctl("net.ipv4.ip_local_port_range", std::to_string(kRangeLow) + " " + std::to_string(kRangeHigh));
  host.set_sysctl("net.ipv4.tcp_tw_reuse", "0");  // every TIME_WAIT socket stays until it expires
  ServeUnderTest serve(host, std::string(kHostAddr) + ":9977");
  ServeUnderTest capped(host, std::string(kHostAddr) + ":9978", {"--max-destinations", "1"});
  ASSERT_TRUE(serve.ready()) << serve.child().err();
  ASSERT_TRUE(capped.ready()) << capped.child().err();

  // A server that closes first: TIME_WAIT sockets on the server's side only (port 8080, below the
  // range); the clients' sockets are gone. (Fewer than 300 may remain: a client's SYN from a port
  // used before takes over the server's TIME_WAIT socket of that port.)
  constexpr size_t kServerClosed = 300, kHeld = 20, kClientClosed = 50;
  Child server_closes({test_tool("tcp_peer"), "--port", "8080", "--count", std::to_string(kServerClosed), "--close",
                       "server"},
                      host.inside());
  ASSERT_EQ(server_closes.wait(120s), 0) << server_closes.err();
  // Connections held open to a listener on a port inside the range: its accepted sockets have that
  // port too, and are still the server side.
  Child held({test_tool("tcp_peer"), "--count", std::to_string(kHeld), "--hold", "600", "--max-seconds", "600"},
             host.inside());
  const auto listening = held.wait_for_line(Child::Stream::out, "listening ", 20s);
  ASSERT_TRUE(listening) << held.err();
  const uint16_t held_port = static_cast<uint16_t>(std::stoul(listening->substr(10)));
  ASSERT_GE(held_port, kRangeLow) << "port 0 binds inside the range";
  ASSERT_LE(held_port, kRangeHigh);
  ASSERT_EQ(host.wait_for_ss_count("established", 2 * kHeld, 60s), 2 * kHeld) << held.err();
  // A client that closes first: its 50 TIME_WAIT sockets each hold a port of the range.
  const ConnectionRun client_closes = make_connections(host.name(), "127.0.0.1", kClientClosed, CloseMode::client_first);
  const std::string held_destination = "127.0.0.1:" + std::to_string(held_port);
  const std::string churn_destination = "127.0.0.1:" + std::to_string(client_closes.server_port);
  const std::map<std::string, double> expected{{churn_destination, kClientClosed}, {held_destination, kHeld}};
  ASSERT_TRUE(wait_until([&] { return client_ports_by_destination(ss_sockets(host)) == expected; }, 30s))
      << "ss never showed the client sockets";

  const auto before = ss_sockets(host);
  const HttpReply reply = http_get(scraper.name(), kHostAddr, serve.port(), "/metrics");
  const HttpReply capped_reply = http_get(scraper.name(), kHostAddr, capped.port(), "/metrics");
  const auto after = ss_sockets(host);
  ASSERT_EQ(reply.status, 200);
  ASSERT_EQ(capped_reply.status, 200);
  const auto oracle = client_ports_by_destination(before);
  ASSERT_EQ(client_ports_by_destination(after), oracle) << "the sockets changed during the scrapes";

  const size_t server_time_wait = count_of(before, "TIME-WAIT", "127.0.0.1:8080");
  EXPECT_GE(server_time_wait, kServerClosed / 2) << "the server side's TIME_WAIT sockets";
  ASSERT_EQ(count_of(after, "TIME-WAIT", "127.0.0.1:8080"), server_time_wait);

  const auto m = samples_of(reply.body);
  EXPECT_EQ(exported_by_destination(m), oracle) << "127.0.0.1:8080 must not appear";
  EXPECT_EQ(sample(m, "tcpsight_ephemeral_ports_range"), kRangeHigh - kRangeLow + 1);
  EXPECT_EQ(sample(m, R"(tcpsight_sockets{state="TIME_WAIT"})"), static_cast<double>(server_time_wait + kClientClosed));
  EXPECT_EQ(sample(m, "tcpsight_destination_series_dropped_total"), 0);

  // --max-destinations 1: the destination holding the most ports, the other one as remote="other".
  const auto c = samples_of(capped_reply.body);
  EXPECT_EQ(exported_by_destination(c),
            (std::map<std::string, double>{{churn_destination, kClientClosed}, {"other", kHeld}}));
  EXPECT_EQ(sample(c, "tcpsight_gathers_total"), 1);
  EXPECT_EQ(sample(c, "tcpsight_destination_series_dropped_total"), 1);
}

}  // namespace
}  // namespace tcpsight::itest::serve
