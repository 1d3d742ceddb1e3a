// The command line: bad usage (an unknown flag, a numeric option's value that is not a finite
// number within its range) and missing privilege give a clear line and the documented exit status; SIGTERM ends `trace` and `stats` cleanly, taking every BPF program and link with them.
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "harness.hpp"

namespace tcpsight::itest {
namespace {

// ---- bad usage ------------------------------------------------------------------------------------

TEST(CoreCli, UnknownFlagIsUsageErrorWithExitTwo) {
  for (const std::vector<std::string>& args : {std::vector<std::string>{"stats", "--no-such-flag"},
                                               std::vector<std::string>{"trace", "--bogus", "1"},
                                               std::vector<std::string>{"no-such-command"},
                                               std::vector<std::string>{"stats", "--count", "0"},
                                               std::vector<std::string>{"stats", "--snapshot-cpu", "0"},
                                               std::vector<std::string>{"serve", "--snapshot-cpu", "101"},
                                               // No histograms, yet the duration one: contradictory.
                                               std::vector<std::string>{"serve", "--no-histograms",
                                                                        "--connection-durations"},
                                               std::vector<std::string>{"top", "--socket-timing", "1"}}) {
    std::vector<std::string> argv{tcpsight_binary()};
    argv.insert(argv.end(), args.begin(), args.end());
    const CommandResult r = run_command(argv, {}, 10s);
    EXPECT_EQ(r.exit_code, 2) << args.front() << " ...: " << r.err;
    EXPECT_NE(r.err.find("usage"), std::string::npos) << "no usage line: " << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

TEST(CoreCli, TraceFieldsRejectsUnknownAndRepeatedNamesListingTheValidOnes) {
  const CommandResult unknown = run_command({tcpsight_binary(), "trace", "--fields", "time,saddr"}, {}, 10s);
  EXPECT_EQ(unknown.exit_code, 2) << unknown.err;
  EXPECT_NE(unknown.err.find("unknown field 'saddr'"), std::string::npos) << unknown.err;
  EXPECT_NE(unknown.err.find("valid fields: time, kind, pid, comm, holders, local, remote"), std::string::npos)
      << unknown.err;
  EXPECT_TRUE(unknown.out.empty()) << unknown.out;
  const CommandResult twice = run_command({tcpsight_binary(), "trace", "--fields", "pid,kind,pid"}, {}, 10s);
  EXPECT_EQ(twice.exit_code, 2) << twice.err;
  EXPECT_NE(twice.err.find("field 'pid' given twice"), std::string::npos) << twice.err;
}

// Every numeric option of every command, with a value of its range too large to mean anything.
struct NumericOption {
  std::string command, option;
  bool whole;                           // an integer option: "1.5" and "1e3" are refused too
  std::string too_large;
  std::vector<std::string> also = {};  // what the option needs beside it
};

const std::vector<NumericOption> kNumericOptions = {
    {"stats", "--interval", false, "1e9"},
    {"stats", "--count", true, "10000000000"},
    {"stats", "--duration", false, "1e12"},
    {"stats", "--snapshot-cpu", false, "1000"},
    {"stats", "--detail-limit", true, "10000000", {"--detail", "owners"}},
    {"top", "--interval", false, "1e9"},
    {"top", "--snapshot-cpu", false, "1000"},
    {"trace", "--duration", false, "1e12"},
    {"trace", "--port", true, "65536"},
    {"trace", "--pid", true, "99999999"},
    {"serve", "--max-listeners", true, "1000000"},
    {"serve", "--max-destinations", true, "1000000"},
    {"serve", "--max-namespaces", true, "100000"},
    {"serve", "--snapshot-cpu", false, "1000"},
};

TEST(CoreCli, EveryNumericOptionRefusesNanInfNegativeAndAbsurdValuesWithExitTwo) {
  for (const NumericOption& o : kNumericOptions) {
    std::vector<std::string> bad = {"nan", "-nan", "inf", "-inf", "infinity", "-1", "0", "1e999", "abc", "1x",
                                    o.too_large};
    if (o.whole) bad.insert(bad.end(), {"99999999999999999999", "1e3", "1.5", "-0", " 1", "0x10"});
    for (const std::string& value : bad) {
      std::vector<std::string> argv{tcpsight_binary(), o.command, o.option + "=" + value};
      argv.insert(argv.end(), o.also.begin(), o.also.end());
      const std::string what = o.command + " " + o.option + "=" + value;
      // A value that got through would start a report loop or a server: the timeout catches it.
      const CommandResult r = run_command(argv, {}, 5s);
      EXPECT_EQ(r.exit_code, 2) << what << ": " << r.err;
      EXPECT_NE(r.err.find("tcpsight: " + o.option + ": "), std::string::npos) << what << ": " << r.err;
      EXPECT_NE(r.err.find("usage"), std::string::npos) << what << ": " << r.err;
      EXPECT_TRUE(r.out.empty()) << what << ": " << r.out;
    }
  }
}

TEST(CoreCli, NumericOptionsTakeOrdinaryValues) {
  // top gets past parsing to its terminal check (exit 1): the values were accepted.
  for (const std::string& value : {"0.05", "1", "2.5", "86400", "1e1"}) {
    const CommandResult r = run_command({tcpsight_binary(), "top", "--interval", value, "--snapshot-cpu", "0.5"}, {}, 10s);
    EXPECT_EQ(r.exit_code, 1) << value << ": " << r.err;
    EXPECT_NE(r.err.find("needs a terminal"), std::string::npos) << value << ": " << r.err;
  }
}

// ---- missing privilege ----------------------------------------------------------------------------

// A private copy of the binary that any user can reach and run (the build tree may not be).
class TraversableCopy {
 public:
  TraversableCopy() {
    char pattern[] = "/tmp/tcpsight-itest-XXXXXX";
    if (!mkdtemp(pattern)) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    path_ = dir_ / "tcpsight";
    std::filesystem::copy_file(tcpsight_binary(), path_);
    chmod(dir_.c_str(), 0755);
    chmod(path_.c_str(), 0755);
  }
  ~TraversableCopy() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  std::string path() const { return path_; }

 private:
  std::filesystem::path dir_, path_;
};

TEST(CoreCli, UnprivilegedUserGetsExitOneNamingThePrivilege) {
  TS_REQUIRE_ROOT_OR_SKIP();
  const TraversableCopy binary;
  const CommandResult r = run_command(
      {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", binary.path(), "stats", "--count", "1"}, {}, 20s);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.err.rfind("tcpsight: ", 0), 0u) << "one line starting with the program's name: " << r.err;
  EXPECT_TRUE(r.err.find("CAP_BPF") != std::string::npos || r.err.find("root") != std::string::npos)
      << "should name the missing privilege: " << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

// ---- clean exit -----------------------------------------------------------------------------------

const std::set<std::string> kProgramNames = {"on_state_change",      "on_retransmit",        "on_retransmit_err",
                                             "on_synack_retransmit", "on_send_reset",        "on_send_reset_reason",
                                             "on_receive_reset",     "dump_sockets",         "dump_socket_owners"};

// The tracepoint programs tcpsight loads here: of two variants, the one for the prototype the
// kernel's BTF declares (tcp_retransmit_skb gains `err` in 6.17, tcp_send_reset a reason in 6.10).
std::set<std::string> tracepoint_programs() {
  return {"on_state_change",
          tracepoint_arguments("tcp_retransmit_skb") >= 3 ? "on_retransmit_err" : "on_retransmit",
          "on_synack_retransmit",
          tracepoint_arguments("tcp_send_reset") >= 3 ? "on_send_reset_reason" : "on_send_reset",
          "on_receive_reset"};
}

// bpftool may show a name cut to the kernel's 15 characters.
bool is_tcpsight_program(const std::string& name) {
  for (const auto& full : kProgramNames)
    if (name == full || (name.size() == 15 && full.rfind(name, 0) == 0)) return true;
  return false;
}

// id -> name of every loaded BPF program.
std::map<int64_t, std::string> loaded_programs() {
  std::map<int64_t, std::string> out;
  const std::string text = run_checked({"bpftool", "-j", "prog", "show"});
  for (const auto& p : nlohmann::json::parse(text.empty() ? "[]" : text))
    out[p.at("id").get<int64_t>()] = p.value("name", "");
  return out;
}

std::set<int64_t> loaded_links() {
  std::set<int64_t> out;
  const std::string text = run_checked({"bpftool", "-j", "link", "show"});
  for (const auto& l : nlohmann::json::parse(text.empty() ? "[]" : text)) out.insert(l.at("id").get<int64_t>());
  return out;
}

// Starts `tcpsight ARGS` in a fresh namespace, checks what it loaded, stops it with SIGTERM and checks
// that all of it is gone.
void expect_clean_exit(const std::vector<std::string>& args, Child::Stream ready_stream, const std::string& ready,
                       const std::set<std::string>& expected_programs) {
  Netns ns("cli-exit");
  std::vector<std::string> argv{tcpsight_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  Child child(argv, ns.inside());
  ASSERT_TRUE(child.wait_for_line(ready_stream, ready, 20s)) << "not ready; stderr: " << child.err();

  // While it runs: its programs are loaded under tcpsight's names, and attached by links.
  const HeldBpfObjects held = held_bpf_objects(child.pid());
  const auto programs = loaded_programs();
  std::set<std::string> names;
  for (int64_t id : held.programs)
    if (programs.count(id)) names.insert(programs.at(id));
  for (const auto& name : expected_programs)
    EXPECT_TRUE(names.count(name) || names.count(name.substr(0, 15)))
        << args.front() << " should have loaded " << name << "; it holds " << held.programs.size() << " programs";
  for (const auto& name : names) EXPECT_TRUE(is_tcpsight_program(name)) << "unexpected program " << name;
  const auto links = loaded_links();
  size_t live_links = 0;
  for (int64_t id : held.links) live_links += links.count(id);
  EXPECT_GE(live_links, expected_programs.size()) << args.front() << ": each program attached by a link";

  child.signal(SIGTERM);
  EXPECT_EQ(child.wait(10s), 0) << child.err();

  // Freeing may lag the exit a little (deferred work, RCU); allow a short grace period, then none of
  // what it held may remain.
  std::set<int64_t> remaining_programs, remaining_links;
  for (int attempt = 0; attempt < 30; ++attempt) {
    const auto programs_now = loaded_programs();
    const auto links_now = loaded_links();
    remaining_programs.clear();
    remaining_links.clear();
    for (int64_t id : held.programs)
      if (programs_now.count(id)) remaining_programs.insert(id);
    for (int64_t id : held.links)
      if (links_now.count(id)) remaining_links.insert(id);
    if (remaining_programs.empty() && remaining_links.empty()) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(remaining_programs.empty()) << args.front() << " left " << remaining_programs.size() << " BPF programs";
  EXPECT_TRUE(remaining_links.empty()) << args.front() << " left " << remaining_links.size() << " BPF links";
}

TEST(CoreCli, TraceUnloadsEverythingOnSigterm) {
  TS_REQUIRE_ROOT_OR_SKIP();
  auto programs = tracepoint_programs();
  programs.insert("dump_socket_owners");
  expect_clean_exit({"trace", "--json"}, Child::Stream::err, "tracing", programs);
}

TEST(CoreCli, StatsUnloadsEverythingOnSigterm) {
  TS_REQUIRE_ROOT_OR_SKIP();
  std::set<std::string> programs = tracepoint_programs();
  programs.insert("dump_sockets");
  expect_clean_exit({"stats", "--json", "--interval", "0.2"}, Child::Stream::out, "{", programs);
}

}  // namespace
}  // namespace tcpsight::itest
