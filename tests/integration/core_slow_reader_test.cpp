// A trace whose reader has stalled (a pipe nobody drains) must not take the host's numbers down
// with it: it keeps running, the kernel counts stay exact, what it could not deliver is counted
// and reported, and SIGTERM still ends it at once.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <regex>

#include "harness.hpp"

namespace tcpsight::itest {
namespace {

constexpr size_t kConnections = 20000;  // ~160k records: twice what the 8 MiB ring buffer holds

TEST(CoreSlowReader, StalledTraceCountsLossKeepsCountsExactAndStopsOnSigterm) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns ns("slowreader");
  char dir_template[] = "/tmp/ts-slowreader-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::filesystem::path dir(dir_template);
  const std::string fifo = (dir / "stalled").string();
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  Fd stalled_reader(open(fifo.c_str(), O_RDONLY | O_NONBLOCK));  // open, never read
  ASSERT_GE(stalled_reader.get(), 0);

  const KernelCounters before = ns.kernel_counters();
  Child trace({"/bin/sh", "-c", "exec " + tcpsight_binary() + " trace --json > " + fifo}, ns.inside());
  ASSERT_TRUE(trace.wait_for_line(Child::Stream::err, "tracing", 20s)) << trace.err();
  Child stats({tcpsight_binary(), "stats", "--json", "--interval", "0.5"}, ns.inside());
  ASSERT_TRUE(stats.wait_for_lines(Child::Stream::out, 1, 20s)) << stats.err();

  make_connections(ns.name(), "127.0.0.1", kConnections, CloseMode::reset);
  const size_t seen = stats.lines(Child::Stream::out).size();
  ASSERT_TRUE(stats.wait_for_lines(Child::Stream::out, seen + 2, 10s)) << stats.err();
  EXPECT_TRUE(trace.running()) << "a stalled reader must not end the trace: " << trace.err();

  trace.signal(SIGTERM);
  EXPECT_EQ(trace.wait(5s), 0) << "SIGTERM must end a trace blocked on its reader: " << trace.err();
  stats.signal(SIGTERM);
  ASSERT_EQ(stats.wait(10s), 0) << stats.err();
  const KernelCounters after = ns.kernel_counters();
  stalled_reader.reset();
  std::filesystem::remove_all(dir);

  std::smatch m;
  const std::string summary = trace.err();
  ASSERT_TRUE(std::regex_search(summary, m, std::regex(R"((\d+) events shown, (\d+) lost)"))) << summary;
  const uint64_t lost = std::stoull(m[2]);
  report_figure("trace events lost behind a stalled reader", static_cast<double>(lost));
  EXPECT_GT(lost, 0u) << "more records than the ring buffer holds were produced and not read";

  const auto reports = json_lines(stats.out());
  ASSERT_FALSE(reports.empty());
  const int64_t active_opens = after.at("Tcp.ActiveOpens") - before.at("Tcp.ActiveOpens");
  EXPECT_EQ(active_opens, static_cast<int64_t>(kConnections));
  EXPECT_EQ(transition_count(reports.back(), "CLOSE", "SYN_SENT"), static_cast<uint64_t>(active_opens))
      << "the exact counters do not depend on any reader";
  EXPECT_EQ(reports.back()["events"]["lost"], 0);
}

}  // namespace
}  // namespace tcpsight::itest
