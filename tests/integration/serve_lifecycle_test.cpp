// Starting and stopping `tcpsight serve`: SIGTERM ends it cleanly, a port in use and a bad
// --listen are one-line errors with the documented exit status.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <thread>

#include "harness.hpp"
#include "serve_test_support.hpp"

namespace tcpsight::itest::serve {
namespace {

size_t line_count(const std::string& text) { return static_cast<size_t>(std::count(text.begin(), text.end(), '\n')); }

TEST(ServeLifecycle, SigtermStopsItCleanlyEvenWithAKeptAliveConnectionOpen) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns ns("serve-sigterm");
  {
    ServeUnderTest serve(ns);
    ASSERT_TRUE(serve.ready()) << serve.child().err();
    Fd kept = serve.connect();
    ASSERT_TRUE(send_all(kept.get(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_EQ(read_reply(kept.get()).status, 200);  // the connection stays open (keep-alive)

    const auto start = std::chrono::steady_clock::now();
    serve.child().signal(SIGTERM);
    const auto status = serve.child().wait(10s);
    ASSERT_TRUE(status.has_value()) << "still running 10 s after SIGTERM";
    EXPECT_EQ(*status, 0) << serve.child().err();
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 2.0);
    EXPECT_EQ(line_count(serve.child().err()), 1u) << "only the start-up line: " << serve.child().err();
  }
  // The port is free again at once (SO_REUSEADDR), and nothing stayed attached: a new one starts.
  ServeUnderTest again(ns);
  ASSERT_TRUE(again.ready()) << again.child().err();
  EXPECT_EQ(again.get("/healthz").status, 200);
}

TEST(ServeLifecycle, APortInUseIsAOneLineErrorAndExitStatusOne) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns ns("serve-inuse");
  ServeUnderTest first(ns);
  ASSERT_TRUE(first.ready()) << first.child().err();

  const CommandResult second = ns.run({tcpsight_binary(), "serve", "--listen", "127.0.0.1:9977"}, 20s);
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_EQ(second.err,
            "tcpsight: cannot listen on 127.0.0.1:9977: address already in use "
            "(is another tcpsight serve or exporter running?)\n");
  EXPECT_EQ(second.out, "");

  // Not only another tcpsight: any listener on the port, IPv6 too.
  const Listener other = listen_in(ns.name(), "::1", 4);
  const std::string taken = "[::1]:" + std::to_string(other.port);
  const CommandResult third = ns.run({tcpsight_binary(), "serve", "--listen", taken}, 20s);
  EXPECT_EQ(third.exit_code, 1);
  EXPECT_EQ(line_count(third.err), 1u) << third.err;
  EXPECT_NE(third.err.find("cannot listen on " + taken + ": address already in use"), std::string::npos) << third.err;

  EXPECT_EQ(first.get("/healthz").status, 200) << "the first one still serves";
}

TEST(ServeLifecycle, AnAddressThatIsNotLocalIsAOneLineError) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns ns("serve-notlocal");
  const CommandResult r = ns.run({tcpsight_binary(), "serve", "--listen", "192.0.2.1:9977"}, 20s);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "tcpsight: cannot listen on 192.0.2.1:9977: no such local address on this host\n");
}

TEST(ServeLifecycle, ABadListenValueIsAUsageErrorExitStatusTwo) {
  TS_REQUIRE_ROOT_OR_SKIP();
  for (const char* bad : {"9977", "localhost:9977", "127.0.0.1:99999", "::1:9977", "[::1]", "127.0.0.1:"}) {
    const CommandResult r = run_command({tcpsight_binary(), "serve", "--listen", bad}, {}, 10s);
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.err;
    EXPECT_NE(r.err.find("--listen"), std::string::npos) << bad << ": " << r.err;
    EXPECT_NE(r.err.find("is not ADDR:PORT"), std::string::npos) << bad << ": " << r.err;
  }
}

}  // namespace
}  // namespace tcpsight::itest::serve
