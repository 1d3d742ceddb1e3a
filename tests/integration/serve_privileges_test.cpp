// Least privilege: once serve has loaded and attached its programs it holds no capability (with
// -A only the two that entering namespaces needs), optionally runs as another user, and what it
// exports still equals what ss counts.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "harness.hpp"
#include "serve_test_support.hpp"

namespace tcpsight::itest::serve {
namespace {

// Waits until serve has dropped its start-up privileges (it does so before it answers).
bool dropped(pid_t pid, const std::string& cap_eff) {
  return wait_until([&] { return proc_status_field(pid, "CapEff") == cap_eff; }, 20s, 50ms);
}

// Sockets of every state: listeners, established pairs, TIME_WAIT, so that a comparison means something.
struct Sockets {
  explicit Sockets(const Netns& ns) : listener(listen_in(ns.name(), "127.0.0.1", 16)) {
    client_closed_connections(ns.name(), listener, 6);  // TIME_WAIT on the client side
    for (int i = 0; i < 4; ++i) {
      held.push_back(connect_in(ns.name(), "127.0.0.1", listener.port));
      held.emplace_back(::accept(listener.fd.get(), nullptr, nullptr));
    }
  }
  Listener listener;
  std::vector<Fd> held;
};

// The gauges of one scrape against ss in the same namespace; "" when equal. The scrape's own
// connection is two ESTABLISHED sockets that ss, run before it, did not see.
std::string sockets_unlike_ss(const ServeUnderTest& serve, const Netns& ns, const std::string& labels = "") {
  const std::map<std::string, size_t> ss = ns.ss_counts();
  const HttpReply r = serve.get("/metrics");
  if (r.status != 200) return "HTTP " + std::to_string(r.status);
  const auto m = samples_of(r.body);
  for (const SsState& s : kSsStates) {
    if (std::string(s.tcpsight) == "CLOSE") continue;  // not a state serve exports
    const std::string key = "tcpsight_sockets{" + labels + "state=\"" + s.tcpsight + "\"}";
    const double own = labels.empty() && std::string(s.tcpsight) == "ESTABLISHED" ? 2 : 0;
    if (sample(m, key) != static_cast<double>(ss.at(s.tcpsight)) + own)
      return key + " is " + std::to_string(sample(m, key)) + ", ss counts " + std::to_string(ss.at(s.tcpsight));
  }
  return "";
}

TEST(ServePrivileges, AfterStartUpServeHoldsNoCapabilityAndItsFiguresStillEqualSs) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns ns("serve-privileges");
  const Sockets sockets(ns);
  ServeUnderTest serve(ns);
  ASSERT_TRUE(serve.ready()) << serve.child().err();
  const pid_t pid = serve.child().pid();
  ASSERT_TRUE(dropped(pid, "0000000000000000")) << proc_status_field(pid, "CapEff");
  EXPECT_EQ(proc_status_field(pid, "CapPrm"), "0000000000000000");
  EXPECT_EQ(proc_status_field(pid, "CapBnd"), "0000000000000000");
  EXPECT_EQ(proc_status_field(pid, "NoNewPrivs"), "1");
  std::string why;
  EXPECT_TRUE(wait_until([&] { return (why = sockets_unlike_ss(serve, ns)).empty(); }, 20s, 200ms)) << why;
  EXPECT_EQ(serve.get("/healthz").status, 200);
}

TEST(ServePrivileges, AsAnotherUserItStillServesWhatTheKernelCounts) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns ns("serve-user");
  const Sockets sockets(ns);
  ServeUnderTest serve(ns, "127.0.0.1:9977", {"--user", "nobody"});
  ASSERT_TRUE(serve.ready()) << serve.child().err();
  const pid_t pid = serve.child().pid();
  ASSERT_TRUE(dropped(pid, "0000000000000000")) << proc_status_field(pid, "CapEff");
  EXPECT_EQ(proc_status_field(pid, "Uid"), "65534\t65534\t65534\t65534");
  EXPECT_EQ(proc_status_field(pid, "Gid"), "65534\t65534\t65534\t65534");
  EXPECT_EQ(proc_status_field(pid, "Groups"), "");
  std::string why;
  EXPECT_TRUE(wait_until([&] { return (why = sockets_unlike_ss(serve, ns)).empty(); }, 20s, 200ms)) << why;
}

TEST(ServePrivileges, WithAllNamespacesOnlyWhatEnteringThemNeedsIsKept) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns home("serve-priv-home"), other("serve-priv-other");
  const Sockets sockets(other);
  ServeUnderTest serve(home, "127.0.0.1:9977", {"-A", "--user", "nobody"});
  ASSERT_TRUE(serve.ready()) << serve.child().err();
  const pid_t pid = serve.child().pid();
  // CAP_SYS_ADMIN (21) for setns, CAP_SYS_PTRACE (19) for other processes' /proc/PID/ns/net,
  // CAP_DAC_READ_SEARCH (2) for the container runtimes' state.
  ASSERT_TRUE(dropped(pid, "0000000000280004")) << proc_status_field(pid, "CapEff");
  EXPECT_EQ(proc_status_field(pid, "Uid"), "65534\t65534\t65534\t65534");
  const std::string inode = run_checked({"stat", "-L", "-c", "%i", "/run/netns/" + other.name()});
  const std::string labels = "netns=\"" + inode.substr(0, inode.find('\n')) + "\",container=\"" + other.name() + "\",";
  std::string why;
  EXPECT_TRUE(wait_until([&] { return (why = sockets_unlike_ss(serve, other, labels)).empty(); }, 40s, 300ms))
      << why << "\n" << serve.child().err();
}

TEST(ServePrivileges, AnUnknownUserIsRefusedBeforeServing) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns ns("serve-no-user");
  for (const std::string user : {"no-such-user-here", "root", "0"}) {
    const CommandResult r = run_command({tcpsight_binary(), "serve", "--listen", "127.0.0.1:0", "--user", user},
                                        ns.inside(), 30s);
    EXPECT_EQ(r.exit_code, 1) << user << ": " << r.err;
    EXPECT_NE(r.err.find("--user " + user), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("serving"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace tcpsight::itest::serve
