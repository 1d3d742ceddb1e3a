// Resets the kernel sends for segments no socket wanted (a SYN to a closed port). From 6.10
// tcp_send_reset fires for them too (its BTF prototype gains the reset reason): every one is then
// counted and streamed with the segment's tuple, marked no_socket with the reason NO_SOCKET. Before
// 6.10 the kernel reports none of them, which tcpsight must not paper over: its count stays 0,
// and the README says so.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness.hpp"

namespace tcpsight::itest {
namespace {

constexpr size_t kConnects = 50;
constexpr uint16_t kClosedPort = 40999;  // nothing listens on it in a fresh namespace

// A client socket bound to an ephemeral port the kernel picks, then connected to the closed port:
// refused by the kernel's reset. Returns the client's port.
uint16_t refused_connect(const std::string& loopback) {
  const bool v6 = loopback.find(':') != std::string::npos;
  Fd s(socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s) throw std::runtime_error("socket failed");
  sockaddr_storage local{}, remote{};
  socklen_t length = 0;
  if (v6) {
    auto* l = reinterpret_cast<sockaddr_in6*>(&local);
    auto* r = reinterpret_cast<sockaddr_in6*>(&remote);
    l->sin6_family = r->sin6_family = AF_INET6;
    inet_pton(AF_INET6, loopback.c_str(), &l->sin6_addr);
    r->sin6_addr = l->sin6_addr;
    r->sin6_port = htons(kClosedPort);
    length = sizeof(sockaddr_in6);
  } else {
    auto* l = reinterpret_cast<sockaddr_in*>(&local);
    auto* r = reinterpret_cast<sockaddr_in*>(&remote);
    l->sin_family = r->sin_family = AF_INET;
    inet_pton(AF_INET, loopback.c_str(), &l->sin_addr);
    r->sin_addr = l->sin_addr;
    r->sin_port = htons(kClosedPort);
    length = sizeof(sockaddr_in);
  }
  if (bind(s.get(), reinterpret_cast<const sockaddr*>(&local), length) != 0)
    throw std::runtime_error(std::string("bind: ") + std::strerror(errno));
  const uint16_t port = local_port(s);
  if (connect(s.get(), reinterpret_cast<const sockaddr*>(&remote), length) == 0 || errno != ECONNREFUSED)
    throw std::runtime_error(std::string("connect to the closed port was not refused: ") + std::strerror(errno));
  return port;
}

std::string endpoint(const std::string& addr, uint16_t port) {
  return (addr.find(':') == std::string::npos ? addr : "[" + addr + "]") + ":" + std::to_string(port);
}

// The README's text with line breaks and indentation folded into single spaces.
std::string readme_text() {
  std::ifstream in(std::string(TCPSIGHT_SOURCE_DIR) + "/README.md");
  std::stringstream raw;
  raw << in.rdbuf();
  return std::regex_replace(raw.str(), std::regex(R"(\s+)"), " ");
}

class CoreResetNoSocket : public ::testing::TestWithParam<std::string> {};

TEST_P(CoreResetNoSocket, ResetsForAClosedPortAreTheKernels) {
  TS_REQUIRE_ROOT_OR_SKIP();
  const std::string& loopback = GetParam();
  // Read with bpftool, not through tcpsight: "typedef void (*btf_trace_tcp_send_reset)(void *, const
  // struct sock *, const struct sk_buff *, const enum sk_rst_reason);" has 3 arguments.
  const int arguments = tracepoint_arguments("tcp_send_reset");
  ASSERT_GE(arguments, 2) << "no btf_trace_tcp_send_reset in the kernel's BTF";
  const bool kernel_reports_them = arguments >= 3;  // 6.10+
  report_figure("tcp_send_reset tracepoint arguments", arguments);

  Netns ns("rst-nosock");
  Child stats({tcpsight_binary(), "stats", "--json", "--interval", "0.5"}, ns.inside());
  Child trace({tcpsight_binary(), "trace", "--json"}, ns.inside());
  ASSERT_TRUE(stats.wait_for_lines(Child::Stream::out, 1, 20s)) << "no first report: " << stats.err();
  ASSERT_TRUE(trace.wait_for_line(Child::Stream::err, "tracing", 20s)) << trace.err();
  const KernelCounters before = ns.kernel_counters();

  // Each client's port is free again once its connect is refused, so a later one may get it too.
  std::multiset<std::string> clients;
  run_in_netns(ns.name(), [&] {
    for (size_t i = 0; i < kConnects; ++i) clients.insert(endpoint(loopback, refused_connect(loopback)));
  });
  ASSERT_EQ(clients.size(), kConnects);
  const KernelCounters after = ns.kernel_counters();
  const int64_t out_rsts = after.at("Tcp.OutRsts") - before.at("Tcp.OutRsts");
  report_figure("Tcp.OutRsts delta", static_cast<double>(out_rsts));
  ASSERT_EQ(out_rsts, static_cast<int64_t>(kConnects)) << "one reset per refused SYN";

  const auto resets_sent = [&] {
    std::vector<nlohmann::json> out;
    for (const auto& e : json_lines(trace.out()))
      if (e.value("kind", "") == "reset_sent") out.push_back(e);
    return out;
  };
  if (kernel_reports_them) wait_until([&] { return resets_sent().size() >= kConnects; }, 10s, 100ms);
  const size_t seen = stats.lines(Child::Stream::out).size();
  ASSERT_TRUE(stats.wait_for_lines(Child::Stream::out, seen + 2, 10s)) << stats.err();
  stats.signal(SIGTERM);
  trace.signal(SIGTERM);
  ASSERT_EQ(stats.wait(10s), 0) << stats.err();
  ASSERT_EQ(trace.wait(10s), 0) << trace.err();
  const auto reports = json_lines(stats.out());
  ASSERT_FALSE(reports.empty());
  const nlohmann::json& last = reports.back();
  const auto sent = last.at("resets_sent").get<uint64_t>();
  const auto no_socket = last.at("resets_sent_no_socket").get<uint64_t>();
  const auto events = resets_sent();
  report_figure("stats resets_sent", static_cast<double>(sent));
  report_figure("stats resets_sent_no_socket", static_cast<double>(no_socket));
  report_figure("trace reset_sent events", static_cast<double>(events.size()));

  if (!kernel_reports_them) {
    // Before 6.10 tcp_send_reset never fires without a socket: nothing to count, and nothing
    // invented. The kernel's OutRsts has them; the README tells the user.
    EXPECT_EQ(no_socket, 0u) << last.dump();
    EXPECT_EQ(sent, 0u) << last.dump();
    EXPECT_TRUE(events.empty()) << events.front().dump();
    EXPECT_TRUE(std::regex_search(readme_text(), std::regex(R"(6\.10.{0,300}no[- ]socket|no[- ]socket.{0,300}6\.10)")))
        << "README.md should say that kernels before 6.10 report no reset sent without a socket";
    return;
  }
  const auto missed = last.at("events").at("missed").get<uint64_t>();
  expect_counted(sent, static_cast<uint64_t>(out_rsts), missed, "resets_sent vs Tcp.OutRsts delta");
  expect_counted(no_socket, kConnects, missed, "resets_sent_no_socket vs refused connects");
  expect_counted(events.size(), kConnects, trace_missed(trace.err()), "trace's reset_sent events");
  std::multiset<std::string> remotes;
  for (const auto& e : events) {
    EXPECT_TRUE(e.value("no_socket", false)) << e.dump();
    EXPECT_EQ(e.value("reason", ""), "NO_SOCKET") << e.dump();
    EXPECT_EQ(e.value("local", ""), endpoint(loopback, kClosedPort)) << e.dump();
    EXPECT_TRUE(e.at("state").is_null()) << e.dump();
    remotes.insert(e.value("remote", ""));
  }
  if (events.size() == kConnects) {
    EXPECT_EQ(remotes, clients) << "remote: each refused client's own port, once per connect";
  }
  for (const std::string& r : remotes) EXPECT_TRUE(clients.count(r)) << r << " was no refused client";
}

INSTANTIATE_TEST_SUITE_P(Families, CoreResetNoSocket, ::testing::Values("127.0.0.1", "::1"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param == "::1" ? "Ipv6" : "Ipv4"; });

}  // namespace
}  // namespace tcpsight::itest
