// Retransmissions: every one the kernel counts in the sender's namespace (TcpRetransSegs,
// TcpExt.TCPSynRetrans) is counted by `stats`, no more, no less. Packets are dropped at the
// receiving side (INPUT in the peer's namespace): a local OUTPUT drop is not a retransmission.
#include <unistd.h>

#include <csignal>
#include <string>
#include <vector>

#include "harness.hpp"

namespace tcpsight::itest {
namespace {

constexpr const char* kSenderAddr = "10.200.2.1";
constexpr const char* kPeerAddr = "10.200.2.2";

// Two namespaces joined by veth, and `stats --json` running in the sender's.
class CoreRetransmit : public ::testing::Test {
 protected:
  void SetUp() override {
    TS_REQUIRE_ROOT_OR_SKIP();
    sender_ = std::make_unique<Netns>("retrans-s");
    peer_ = std::make_unique<Netns>("retrans-p");
    connect_veth(*sender_, std::string(kSenderAddr) + "/24", *peer_, std::string(kPeerAddr) + "/24");
  }

  void start_stats() {
    stats_ = std::make_unique<Child>(
        std::vector<std::string>{tcpsight_binary(), "stats", "--json", "--interval", "0.25"}, sender_->inside());
    ASSERT_TRUE(stats_->wait_for_lines(Child::Stream::out, 1, 20s)) << "no first report: " << stats_->err();
    before_ = sender_->kernel_counters();
  }

  // Ends the window: a report taken after the traffic stopped, then the kernel's counters.
  void stop_stats() {
    const size_t seen = stats_->lines(Child::Stream::out).size();
    ASSERT_TRUE(stats_->wait_for_lines(Child::Stream::out, seen + 2, 5s)) << stats_->err();
    after_ = sender_->kernel_counters();
    note_ = recursion_note(stats_->pid());
    stats_->signal(SIGTERM);
    ASSERT_EQ(stats_->wait(10s), 0) << stats_->err();
    reports_ = json_lines(stats_->out());
    ASSERT_GE(reports_.size(), 2u);
  }

  int64_t kernel_delta(const std::string& counter) const { return after_.at(counter) - before_.at(counter); }
  static uint64_t by_state(const nlohmann::json& report, const std::string& state) {
    return report.at("retransmits_by_state").value(state, uint64_t{0});
  }

  std::unique_ptr<Netns> sender_, peer_;
  std::unique_ptr<Child> stats_;  // declared after the namespaces: ends first
  KernelCounters before_, after_;
  std::vector<nlohmann::json> reports_;
  std::string note_;  // for failure messages: runs the kernel skipped
};

TEST_F(CoreRetransmit, DataRetransmitsEqualTcpRetransSegs) {
  Fd listener, sender, receiver;
  run_in_netns(peer_->name(), [&] { listener = tcp_listen(kPeerAddr, 0); });
  const uint16_t port = local_port(listener);
  run_in_netns(sender_->name(), [&] { sender = tcp_connect(kPeerAddr, port); });
  receiver = tcp_accept(listener);
  ASSERT_NO_FATAL_FAILURE(start_stats());

  FirewallRule drop(*peer_, {"INPUT", "-p", "tcp", "-s", kSenderAddr, "--dport", std::to_string(port), "-j", "DROP"});
  const std::string data(1000, 'x');  // one segment, so one retransmission is one RetransSegs
  ASSERT_EQ(write(sender.get(), data.data(), data.size()), static_cast<ssize_t>(data.size()));
  std::this_thread::sleep_for(2500ms);  // RTO from 200 ms, doubling: several retransmissions
  close_with_reset(sender);            // no retransmission after this
  ASSERT_NO_FATAL_FAILURE(stop_stats());

  const auto first = reports_.front().at("retransmits").get<uint64_t>();
  const auto last = reports_.back().at("retransmits").get<uint64_t>();
  const int64_t kernel = kernel_delta("Tcp.RetransSegs");
  report_figure("retransmits", static_cast<double>(last));
  report_figure("Tcp.RetransSegs delta", static_cast<double>(kernel));
  EXPECT_EQ(first, 0u) << "nothing was retransmitted before the drop";
  EXPECT_GE(last, 3u) << reports_.back().dump();
  EXPECT_EQ(static_cast<int64_t>(last), kernel) << "Tcp.RetransSegs delta in the sender's namespace; " << note_;
  EXPECT_EQ(by_state(reports_.back(), "ESTABLISHED"), last) << reports_.back().dump();
}

TEST_F(CoreRetransmit, SynTowardsADroppingPeerIsASynSentRetransmit) {
  constexpr size_t kConnects = 5;
  constexpr uint16_t kPort = 40100;
  ASSERT_NO_FATAL_FAILURE(start_stats());
  FirewallRule drop(*peer_, {"INPUT", "-p", "tcp", "--dport", std::to_string(kPort), "-j", "DROP"});

  std::vector<Fd> connecting;
  run_in_netns(sender_->name(), [&] {
    for (size_t i = 0; i < kConnects; ++i) connecting.push_back(tcp_connect(kPeerAddr, kPort, /*nonblocking=*/true));
  });
  std::this_thread::sleep_for(1600ms);  // the first SYN retransmission comes after 1 s, the next after 3 s
  connecting.clear();                   // closing in SYN_SENT: no more retransmissions
  ASSERT_NO_FATAL_FAILURE(stop_stats());

  const nlohmann::json& last = reports_.back();
  const int64_t kernel_syn = kernel_delta("TcpExt.TCPSynRetrans");
  report_figure("retransmits_by_state.SYN_SENT", static_cast<double>(by_state(last, "SYN_SENT")));
  report_figure("TcpExt.TCPSynRetrans delta", static_cast<double>(kernel_syn));
  EXPECT_GE(by_state(last, "SYN_SENT"), kConnects) << last.dump();
  EXPECT_EQ(static_cast<int64_t>(by_state(last, "SYN_SENT")), kernel_syn) << "TcpExt.TCPSynRetrans delta; " << note_;
  EXPECT_EQ(static_cast<int64_t>(last.at("retransmits").get<uint64_t>()), kernel_delta("Tcp.RetransSegs"));
  EXPECT_EQ(transition_count(last, "CLOSE", "SYN_SENT"), kConnects);
}

}  // namespace
}  // namespace tcpsight::itest
