// `tcpsight top -A` as an operator sees it: in tmux, the namespaces list shows each namespace's
// TIME_WAIT as `ss` counts it inside that namespace; the arrows and Enter open one namespace's
// full view, Esc comes back, q exits 0.
#include "harness.hpp"
#include "top_tmux.hpp"

namespace tcpsight::itest {
namespace {

const std::vector<std::string> kTopArgs = {"-A", "--interval", "0.5"};
constexpr auto kStartup = 20s;  // loading the BPF programs, the first scan and the first frame

TEST(TopNamespaces, ListShowsEachNamespacesTimeWaitAndEnterShowsOneInFull) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns busy("top-nsa"), quiet("top-nsb");
  constexpr size_t kTimeWait = 20;
  make_connections(busy.name(), "127.0.0.1", kTimeWait, CloseMode::client_first);
  ASSERT_EQ(busy.wait_for_ss_count("time-wait", kTimeWait, 5s), kTimeWait) << "the kernel's own view";
  ASSERT_EQ(quiet.ss_count("time-wait"), 0u);

  // Run in the test's own namespace: where PID 1's cannot be read, tcpsight takes its own for the
  // host's, and would list the namespace it ran in as "host".
  TopInTmux top("", 200, 50, kTopArgs);
  ASSERT_TRUE(top.wait_for_text("NAMESPACES", kStartup)) << top.screen();
  // Only what entering namespaces needs is kept: CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE, CAP_SYS_ADMIN.
  EXPECT_EQ(proc_status_field(top.top_pid(), "CapEff"), "0000000000280004");
  // TIME_WAIT lasts 60 s: the counts ss gives stay true for the whole test.
  const auto both_rows = [&](const std::string& s) {
    return listed_time_wait(s, busy.name()) == busy.ss_count("time-wait") &&
           listed_time_wait(s, quiet.name()) == quiet.ss_count("time-wait");
  };
  ASSERT_TRUE(top.wait_for(both_rows, 10s)) << "expected TIME_WAIT " << kTimeWait << " in " << busy.name()
                                            << " and 0 in " << quiet.name() << "\n"
                                            << top.screen();

  ASSERT_TRUE(move_to_row(top, busy.name())) << "Down never reached " << busy.name() << "\n" << top.screen();

  top.send_keys({"Enter"});
  const auto full = top.wait_for(
      [&](const std::string& s) {
        return s.find("netns " + busy.name()) != std::string::npos &&
               screen_number(s, R"(^TIME_WAIT\s+(\d+))") == busy.ss_count("time-wait");
      },
      5s);
  ASSERT_TRUE(full) << "the full view of " << busy.name() << " with its TIME_WAIT\n" << top.screen();
  EXPECT_NE(full->find("STATES"), std::string::npos) << *full;
  EXPECT_NE(full->find("snapshot"), std::string::npos) << "the header says how old its snapshot is\n" << *full;
  EXPECT_EQ(full->find("NAMESPACES"), std::string::npos) << *full;

  top.send_keys({"Escape"});
  const auto back_on_the_row = [&](const std::string& s) {
    return s.find("NAMESPACES") != std::string::npos && highlighted(s, busy.name());
  };
  EXPECT_TRUE(top.wait_for(back_on_the_row, 5s)) << "Esc goes back to the list, on the same row\n" << top.screen();

  top.send_keys({"q"});
  EXPECT_TRUE(top.wait_for_text("top exited 0", 10s)) << top.screen();
}

TEST(TopNamespaces, NetnsShowsThatNamespaceInFull) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns watched("top-nsc"), other("top-nsd");
  constexpr size_t kTimeWait = 20;
  make_connections(watched.name(), "127.0.0.1", kTimeWait, CloseMode::client_first);
  make_connections(other.name(), "127.0.0.1", 7, CloseMode::client_first);
  ASSERT_EQ(watched.wait_for_ss_count("time-wait", kTimeWait, 5s), kTimeWait);

  // Run inside `other`: --netns shows the namespace it names, not the one it runs in.
  TopInTmux top(other.name(), 160, 45, {"--netns", watched.name(), "--interval", "0.5"});
  const auto full = top.wait_for(
      [&](const std::string& s) {
        return s.find("netns " + watched.name()) != std::string::npos &&
               screen_number(s, R"(^TIME_WAIT\s+(\d+))") == watched.ss_count("time-wait");
      },
      kStartup);
  ASSERT_TRUE(full) << "only " << watched.name() << "'s TIME_WAIT, not those of where top runs\n" << top.screen();
  top.send_keys({"Escape"});  // no list to go back to
  top.send_keys({"q"});
  EXPECT_TRUE(top.wait_for_text("top exited 0", 10s)) << top.screen();
}

}  // namespace
}  // namespace tcpsight::itest
