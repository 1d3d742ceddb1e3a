// `tcpsight serve -A`: every network namespace's series, selected by its netns inode label, against
// what ss and the kernel's counters say inside that namespace; namespaces that vanish; and
// --max-namespaces summing the rest into netns="other" with counters that never go down.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "harness.hpp"
#include "serve_test_support.hpp"

namespace tcpsight::itest::serve {
namespace {

using Samples = std::map<std::string, double>;

// The inode of an nsfs file: what the netns label says.
std::string inode_of(const std::string& nsfs_path) {
  std::string out = run_checked({"stat", "-L", "-c", "%i", nsfs_path});
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}
std::string inode_of(const Netns& ns) { return inode_of("/run/netns/" + ns.name()); }

// A series of one namespace as the exporter writes it: its labels first, then the family's own.
std::string series(const std::string& family, const std::string& netns, const std::string& container,
                   const std::string& more = "") {
  return family + "{netns=\"" + netns + "\",container=\"" + container + "\"" + (more.empty() ? "" : "," + more) + "}";
}

// Every sample of one namespace (by inode), without its labels' prefix.
Samples of_namespace(const Samples& m, const std::string& netns) {
  Samples out;
  const std::string tag = "{netns=\"" + netns + "\",";
  for (const auto& [key, value] : m)
    if (key.find(tag) != std::string::npos) out[key] = value;
  return out;
}

// The netns label values a scrape has.
std::set<std::string> netns_labels(const Samples& m) {
  std::set<std::string> out;
  for (const auto& [key, value] : m) {
    const size_t at = key.find("{netns=\"");
    if (at == std::string::npos) continue;
    const size_t from = at + 8;
    out.insert(key.substr(from, key.find('"', from) - from));
  }
  return out;
}

// A scrape that comes from a gathering newer than `gathers` (scrapes within 250 ms share one).
Samples next_gathering(const ServeUnderTest& serve, double& gathers) {
  Samples m;
  const bool fresh = wait_until(
      [&] {
        const HttpReply r = serve.get("/metrics");
        if (r.status != 200) return false;
        m = samples_of(r.body);
        return sample(m, "tcpsight_gathers_total") > gathers;
      },
      10s, 100ms);
  EXPECT_TRUE(fresh) << "no new gathering";
  gathers = sample(m, "tcpsight_gathers_total");
  return m;
}

// Waits until the namespace's socket gauges equal what ss counts there, in every state both show;
// the reason when they never did.
std::string wait_for_sockets_like_ss(const ServeUnderTest& serve, const std::vector<const Netns*>& namespaces) {
  std::string why;
  const bool matched = wait_until(
      [&] {
        const Samples m = samples_of(serve.get("/metrics").body);
        for (const Netns* ns : namespaces) {
          const std::map<std::string, size_t> ss = ns->ss_counts();
          for (const SsState& s : kSsStates) {
            const std::string key =
                series("tcpsight_sockets", inode_of(*ns), ns->name(), std::string("state=\"") + s.tcpsight + "\"");
            const double got = sample(m, key);
            if (std::isnan(got) && std::string(s.tcpsight) == "CLOSE") continue;  // not a state serve exports
            if (got != static_cast<double>(ss.at(s.tcpsight))) {
              why = key + " is " + std::to_string(got) + ", ss counts " + std::to_string(ss.at(s.tcpsight));
              return false;
            }
          }
        }
        return true;
      },
      40s, 300ms);
  return matched ? "" : why;
}

TEST(ServeNamespaces, EachNamespacesSeriesEqualWhatItsOwnSocketsAndCountersSay) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns home("srvns-home"), tw("srvns-tw"), est("srvns-est"), rst("srvns-rst");
  ServeUnderTest serve(home, "127.0.0.1:9977", {"-A"});
  ASSERT_TRUE(serve.ready()) << serve.child().err();

  // A TIME_WAIT pile-up in one namespace.
  constexpr int kTimeWait = 25;
  const Listener churn = listen_in(tw.name(), "127.0.0.1", 64);
  client_closed_connections(tw.name(), churn, kTimeWait);
  // Established connections in another, three of them waiting in a listener's accept queue.
  constexpr int kEstablished = 7;
  const Listener served = listen_in(est.name(), "127.0.0.1", 64);
  const Listener waiting = listen_in(est.name(), "127.0.0.1", 16);
  std::vector<Fd> held;
  for (int i = 0; i < kEstablished; ++i) {
    held.push_back(connect_in(est.name(), "127.0.0.1", served.port));
    held.emplace_back(::accept(served.fd.get(), nullptr, nullptr));
  }
  for (int i = 0; i < 3; ++i) held.push_back(connect_in(est.name(), "127.0.0.1", waiting.port));
  // Resets in a third.
  constexpr size_t kResets = 5;
  make_connections(rst.name(), "127.0.0.1", kResets, CloseMode::reset);

  const std::string why = wait_for_sockets_like_ss(serve, {&tw, &est, &rst});
  ASSERT_EQ(why, "") << serve.child().err();
  double gathers = 0;
  const Samples m = next_gathering(serve, gathers);
  const double missed = sample(m, "tcpsight_events_missed_total");
  SCOPED_TRACE(recursion_note(serve.child().pid()));

  const std::string t = inode_of(tw), e = inode_of(est), r = inode_of(rst);
  // TIME_WAIT: the gauge, its lifetime histogram and the hand-overs the kernel made.
  EXPECT_EQ(sample(m, series("tcpsight_sockets", t, tw.name(), R"(state="TIME_WAIT")")), kTimeWait);
  EXPECT_EQ(sample(m, series("tcpsight_time_wait_remaining_seconds_count", t, tw.name())), kTimeWait);
  expect_counted(static_cast<uint64_t>(sample(m, series("tcpsight_time_wait_entered_total", t, tw.name()))), kTimeWait,
                 static_cast<uint64_t>(missed), "time_wait_entered of the TIME_WAIT namespace");
  const KernelCounters tw_kernel = tw.kernel_counters();
  EXPECT_EQ(sample(m, series("tcpsight_netstat_active_opens_total", t, tw.name())), tw_kernel.at("Tcp.ActiveOpens"));
  EXPECT_EQ(sample(m, series("tcpsight_state_transitions_total", t, tw.name(), R"(from="CLOSE",to="SYN_SENT")")),
            tw_kernel.at("Tcp.ActiveOpens"));
  EXPECT_EQ(sample(m, series("tcpsight_sockets", e, est.name(), R"(state="TIME_WAIT")")), 0);

  // Established connections and listener queues.
  EXPECT_EQ(sample(m, series("tcpsight_sockets", e, est.name(), R"(state="ESTABLISHED")")), 2 * kEstablished + 6);
  EXPECT_EQ(sample(m, series("tcpsight_sockets", e, est.name(), R"(state="LISTEN")")), 2);
  EXPECT_EQ(sample(m, series("tcpsight_listen_accept_queue", e, est.name(),
                             "local=\"127.0.0.1:" + std::to_string(waiting.port) + "\"")),
            3);
  EXPECT_EQ(sample(m, series("tcpsight_listen_backlog", e, est.name(),
                             "local=\"127.0.0.1:" + std::to_string(waiting.port) + "\"")),
            16);
  const KernelCounters est_kernel = est.kernel_counters();
  EXPECT_EQ(sample(m, series("tcpsight_netstat_passive_opens_total", e, est.name())), est_kernel.at("Tcp.PassiveOpens"));
  EXPECT_EQ(sample(m, series("tcpsight_state_transitions_total", e, est.name(), R"(from="SYN_RECV",to="ESTABLISHED")")),
            est_kernel.at("Tcp.PassiveOpens"));

  // Resets: the kernel's own count of resets sent in that namespace.
  const auto out_rsts = static_cast<uint64_t>(rst.kernel_counters().at("Tcp.OutRsts"));
  EXPECT_GE(out_rsts, kResets);
  expect_counted(static_cast<uint64_t>(sample(m, series("tcpsight_resets_total", r, rst.name(), R"(direction="sent")"))),
                 out_rsts, static_cast<uint64_t>(missed), "resets sent vs Tcp.OutRsts of the reset namespace");
  EXPECT_EQ(sample(m, series("tcpsight_sockets", r, rst.name(), R"(state="TIME_WAIT")")), 0);
  EXPECT_EQ(sample(m, series("tcpsight_resets_total", t, tw.name(), R"(direction="sent")")), 0);

  // The namespaces themselves; host-wide families stay unlabelled.
  EXPECT_GE(sample(m, R"(tcpsight_namespaces{set="shown"})"), 4);
  EXPECT_GE(sample(m, R"(tcpsight_namespaces{set="seen"})"), 4);
  EXPECT_GT(sample(m, "tcpsight_namespaces_entered_total"), 0);
  EXPECT_FALSE(std::isnan(sample(m, "tcpsight_netns_counter_overflow_total")));
  EXPECT_EQ(sample(m, "tcpsight_events_lost_total"), 0);
  EXPECT_TRUE(std::isnan(sample(m, R"(tcpsight_sockets{state="TIME_WAIT"})"))) << "per-namespace families are labelled";
}

TEST(ServeNamespaces, ADeletedNamespaceLeavesWithinACoupleOfGatheringsAndNoOtherCounterGoesDown) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns home("srvns-del-home"), keep("srvns-keep");
  auto doomed = std::make_unique<Netns>("srvns-doomed");
  ServeUnderTest serve(home, "127.0.0.1:9977", {"-A"});
  ASSERT_TRUE(serve.ready()) << serve.child().err();
  make_connections(keep.name(), "127.0.0.1", 10, CloseMode::client_first);
  make_connections(doomed->name(), "127.0.0.1", 5, CloseMode::client_first);
  const std::string kept = inode_of(keep), gone = inode_of(*doomed);
  ASSERT_EQ(wait_for_sockets_like_ss(serve, {&keep, doomed.get()}), "");

  double gathers = 0;
  Samples before = of_namespace(next_gathering(serve, gathers), kept);
  ASSERT_EQ(before.at(series("tcpsight_time_wait_entered_total", kept, keep.name())), 10);
  doomed.reset();  // ip netns delete: no process is in it, so it is gone

  int gatherings = 0;
  for (bool present = true; present && gatherings < 10; ++gatherings) {
    const Samples m = next_gathering(serve, gathers);
    present = !of_namespace(m, gone).empty();
    const Samples now = of_namespace(m, kept);
    for (const auto& [key, value] : before)
      if (key.find("_total{") != std::string::npos) {
        EXPECT_GE(sample(now, key), value) << key << " went down";
      }
    before = now;
  }
  EXPECT_LE(gatherings, 3) << "the deleted namespace's series were still there";
  EXPECT_EQ(before.at(series("tcpsight_sockets", kept, keep.name(), R"(state="TIME_WAIT")")), 10);
}

TEST(ServeNamespaces, MaxNamespacesOneLabelsTheHostAndSumsTheRestIntoOther) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns home("srvns-max-home"), a("srvns-max-a");
  auto b = std::make_unique<Netns>("srvns-max-b");
  ServeUnderTest serve(home, "127.0.0.1:9977", {"-A", "--max-namespaces", "1"});
  ASSERT_TRUE(serve.ready()) << serve.child().err();
  make_connections(a.name(), "127.0.0.1", 6, CloseMode::client_first);
  make_connections(b->name(), "127.0.0.1", 4, CloseMode::client_first);

  const std::string other_tw = series("tcpsight_sockets", "other", "other", R"(state="TIME_WAIT")");
  const std::string other_entered = series("tcpsight_time_wait_entered_total", "other", "other");
  Samples m;
  ASSERT_TRUE(wait_until(
      [&] {
        m = samples_of(serve.get("/metrics").body);
        return sample(m, other_tw) >= 10 && sample(m, other_entered) >= 10;
      },
      40s, 300ms))
      << "other: " << sample(m, other_tw) << " TIME_WAIT, " << sample(m, other_entered) << " entered";
  // The host's namespace was found first, so it has the one slot; the others are all in other.
  // The host's is PID 1's, or in a sandbox whose PID 1 cannot be looked at, kthreadd's: kernel
  // threads stay in the initial namespace.
  const CommandResult pid1 = run_command({"stat", "-L", "-c", "%i", "/proc/1/ns/net"});
  const std::string host = run_checked({"stat", "-L", "-c", "%i", pid1.exit_code == 0 ? "/proc/1/ns/net" : "/proc/2/ns/net"});
  ASSERT_FALSE(host.empty());
  const std::string host_inode = host.substr(0, host.find('\n'));
  EXPECT_EQ(netns_labels(m), (std::set<std::string>{host_inode, "other"}));
  EXPECT_FALSE(std::isnan(sample(m, series("tcpsight_sockets", host_inode, "host", R"(state="LISTEN")"))));
  EXPECT_EQ(sample(m, R"(tcpsight_namespaces{set="shown"})"), 1);
  EXPECT_GE(sample(m, R"(tcpsight_namespaces{set="other"})"), 2) << "a and b at least";

  // b vanishes: its final counts stay in other, whose counters never go down.
  double gathers = 0;
  Samples before = of_namespace(next_gathering(serve, gathers), "other");
  b.reset();
  for (int i = 0; i < 4; ++i) {
    const Samples now = of_namespace(next_gathering(serve, gathers), "other");
    for (const auto& [key, value] : before)
      if (key.find("_total{") != std::string::npos) {
        EXPECT_GE(sample(now, key), value) << key << " went down";
      }
    before = now;
  }
  EXPECT_GE(before.at(other_entered), 10);
}

TEST(ServeNamespaces, BadNamespaceOptionsAreRefused) {
  TS_REQUIRE_ROOT_OR_SKIP();
  for (const std::vector<std::string>& args : {std::vector<std::string>{"-A", "--max-namespaces", "0"},
                                               std::vector<std::string>{"-A", "--max-namespaces", "100001"},
                                               std::vector<std::string>{"--netns", "/nonexistent/netns"},
                                               std::vector<std::string>{"-A", "--netns", "1"}}) {
    std::vector<std::string> argv{tcpsight_binary(), "serve", "--listen", "127.0.0.1:0"};
    argv.insert(argv.end(), args.begin(), args.end());
    const CommandResult r = run_command(argv, {}, 10s);
    EXPECT_EQ(r.exit_code, 2) << args.back() << ": " << r.err;
  }
}

}  // namespace
}  // namespace tcpsight::itest::serve
