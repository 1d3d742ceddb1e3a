// The connect-latency histogram, kept without per-socket storage (issue 12): for a SYN sent once it
// is the kernel's first RTT sample, which `ss -ti` prints as rtt for a connection that has sent
// nothing since; for a SYN the kernel had to send again it runs from the first SYN, which the
// test's own clock bounds around connect().
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <regex>
#include <thread>

#include "harness.hpp"
#include "serve_test_support.hpp"

namespace tcpsight::itest::serve {
namespace {

// The histogram's per-bucket counts (not cumulative), bucket i holding [2^i, 2^(i+1)) µs.
std::vector<double> latency_buckets(const ServeUnderTest& serve) {
  const auto m = samples_of(serve.get("/metrics").body);
  std::vector<double> counts;
  double below = 0;
  for (int i = 0; i < 31; ++i) {
    // le is the upper bound 2^(i+1) µs in seconds, as the exporter prints it (shortest form).
    const std::string le = fmt::format("{}", std::ldexp(1.0, i + 1) / 1e6);
    const double cumulative = sample(m, R"(tcpsight_connect_latency_seconds_bucket{le=")" + le + "\"}");
    counts.push_back(cumulative - below);
    below = cumulative;
  }
  return counts;
}

int bucket_of(double us) { return us < 2 ? 0 : static_cast<int>(std::floor(std::log2(us))); }

// The client-side rtt (µs) `ss -tin` prints for the connection from local port `port`.
double ss_rtt_us(const Netns& ns, uint16_t port) {
  const std::string out =
      ns.run_checked({"ss", "-tinH", "state", "established", "sport", "=", ":" + std::to_string(port)});
  std::smatch m;
  if (!std::regex_search(out, m, std::regex(R"(rtt:([\d.]+)/)"))) return -1;
  return std::round(std::stod(m[1]) * 1000);  // ss prints tcpi_rtt (µs) / 1000
}

uint16_t local_port(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

TEST(ServeConnectLatency, EachConnectLandsInTheBucketOfTheRttTheKernelMeasured) {
  TS_REQUIRE_ROOT_OR_SKIP();
  // serve runs in one namespace and watches another (--netns), so that its scrapes' own connects
  // are not counted with the test's.
  Netns watched("lat-watched"), home("lat-home");
  ServeUnderTest serve(home, "127.0.0.1:9977", {"--netns", watched.name()});
  ASSERT_TRUE(serve.ready()) << serve.child().err();
  const std::vector<double> before = latency_buckets(serve);

  const Listener server = listen_in(watched.name(), "127.0.0.1", 64);
  constexpr int kConnections = 12;
  std::vector<Fd> clients, accepted;
  std::vector<double> expected(31, 0);
  for (int i = 0; i < kConnections; ++i) {
    clients.push_back(connect_in(watched.name(), "127.0.0.1", server.port));
    accepted.emplace_back(::accept(server.fd.get(), nullptr, nullptr));
    // Nothing is sent: the client's srtt is still its first sample, the SYN's.
    const double rtt = ss_rtt_us(watched, local_port(clients.back().get()));
    ASSERT_GT(rtt, 0) << "no rtt from ss";
    expected[static_cast<size_t>(bucket_of(rtt))] += 1;
  }
  // Scrapes within a quarter second share one gathering: wait for one that has every connect.
  std::vector<double> after;
  for (const auto until = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < until;) {
    after = latency_buckets(serve);
    double counted = 0;
    for (size_t i = 0; i < after.size(); ++i) counted += after[i] - before[i];
    if (counted >= kConnections) break;
    std::this_thread::sleep_for(50ms);
  }
  for (size_t i = 0; i < expected.size(); ++i)
    EXPECT_EQ(after[i] - before[i], expected[i]) << "bucket [" << std::ldexp(1.0, static_cast<int>(i)) << " µs, "
                                                 << std::ldexp(1.0, static_cast<int>(i) + 1) << " µs)";
}

TEST(ServeConnectLatency, AConnectWhoseSynWasDroppedCountsFromTheFirstSyn) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns watched("lat-retry"), home("lat-rhome");
  ServeUnderTest serve(home, "127.0.0.1:9977", {"--netns", watched.name()});
  ASSERT_TRUE(serve.ready()) << serve.child().err();
  const std::vector<double> before = latency_buckets(serve);
  const Listener server = listen_in(watched.name(), "127.0.0.1", 64);
  const KernelCounters kernel_before = watched.kernel_counters();

  // The first SYN is dropped; the rule goes once the client waits in SYN_SENT, so the kernel's
  // retransmission a second later (TCP_TIMEOUT_INIT) gets through.
  FirewallRule drop(watched, {"INPUT", "-p", "tcp", "--syn", "--dport", std::to_string(server.port), "-j", "DROP"});
  const auto start = std::chrono::steady_clock::now();
  std::thread remover([&] {
    if (watched.wait_for_ss_count("syn-sent", 1, 10s) == 1) drop.remove();
  });
  Fd client = connect_in(watched.name(), "127.0.0.1", server.port, 20s);
  const double wall_us =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
  remover.join();
  Fd accepted(::accept(server.fd.get(), nullptr, nullptr));
  const KernelCounters kernel_after = watched.kernel_counters();
  ASSERT_EQ(kernel_after.at("Tcp.RetransSegs") - kernel_before.at("Tcp.RetransSegs"), 1u) << "one SYN retransmitted";

  const std::vector<double> after = latency_buckets(serve);
  double counted = 0;
  int bucket = -1;
  for (size_t i = 0; i < after.size(); ++i)
    if (after[i] - before[i] > 0) {
      counted += after[i] - before[i];
      bucket = static_cast<int>(i);
    }
  ASSERT_EQ(counted, 1) << "one connect";
  // From the first SYN: at least the one-second timeout, at most what connect() took.
  EXPECT_GE(std::ldexp(1.0, bucket + 1), 1e6) << "bucket " << bucket;
  EXPECT_LE(std::ldexp(1.0, bucket), wall_us) << "bucket " << bucket << ", connect() took " << wall_us << " µs";
}

}  // namespace
}  // namespace tcpsight::itest::serve
