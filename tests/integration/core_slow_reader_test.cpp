// A trace whose reader has stalled (a pipe nobody drains) or gone away must not take the host's
// numbers down with it: it keeps running, the kernel counts stay exact, and its end summary
// accounts for every event: "delivered" is exactly what the reader could read, and delivered plus
// lost (not written, dropped by the ring buffer, missed by the kernel) is every event the kernel
// counted in the namespace.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>

#include "harness.hpp"

namespace tcpsight::itest {
namespace {

constexpr size_t kConnections = 20000;  // ~160k records: twice what the 8 MiB ring buffer holds

struct Summary {
  uint64_t delivered = 0, lost = 0, not_written = 0, ring = 0, missed = 0, filtered = 0;
  std::string why;  // "(reader gone)", ...; empty when nothing was not written
};

std::optional<Summary> parse_summary(const std::string& err) {
  std::smatch m;
  static const std::regex re(
      R"(tcpsight: (\d+) events delivered; lost (\d+): (\d+) not written( \([^)]*\))?, )"
      R"((\d+) dropped by the ring buffer, (\d+) missed by the kernel; (\d+) filtered out)");
  if (!std::regex_search(err, m, re)) return std::nullopt;
  return Summary{.delivered = std::stoull(m[1]),
                 .lost = std::stoull(m[2]),
                 .not_written = std::stoull(m[3]),
                 .ring = std::stoull(m[5]),
                 .missed = std::stoull(m[6]),
                 .filtered = std::stoull(m[7]),
                 .why = m[4]};
}

// Complete lines in what the pipe holds now (the read end is non-blocking): read until it is empty,
// or closed by the writer.
size_t read_all_lines(int fd, size_t* bytes = nullptr) {
  size_t lines = 0, total = 0;
  char buf[65536];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) {
    lines += static_cast<size_t>(std::count(buf, buf + n, '\n'));
    total += static_cast<size_t>(n);
  }
  if (bytes) *bytes = total;
  return lines;
}

// A fifo in a fresh directory and its read end, opened (non-blocking) and never read until the test
// says so.
struct StalledPipe {
  StalledPipe() {
    char dir_template[] = "/tmp/ts-slowreader-XXXXXX";
    if (!mkdtemp(dir_template)) throw std::runtime_error("mkdtemp");
    dir = dir_template;
    fifo = (dir / "stalled").string();
    if (mkfifo(fifo.c_str(), 0600) != 0) throw std::runtime_error("mkfifo");
    // CLOEXEC: a child (trace itself) holding a read end would keep the pipe from ever breaking.
    reader = Fd(open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  }
  ~StalledPipe() {
    reader.reset();
    std::filesystem::remove_all(dir);
  }
  std::filesystem::path dir;
  std::string fifo;
  Fd reader;
};

// Everything the programs counted in the namespace, from `stats`' exact counters. Events, not
// segments: RST churn over loopback retransmits nothing (checked), and each other count is one
// event the trace's programs also saw.
uint64_t events_counted(const nlohmann::json& report) {
  EXPECT_EQ(report["retransmits"], 0) << "retransmits count segments, not events: this sum would not hold";
  return report["events"]["received"].get<uint64_t>();
}

// delivered + lost + filtered is every event: equal to the kernel's count unless the kernel skipped
// runs of trace's or stats' programs (each skip one event missing from one side).
void expect_every_event_accounted(const Summary& s, uint64_t counted, uint64_t stats_missed) {
  const uint64_t accounted = s.delivered + s.not_written + s.ring + s.filtered;
  EXPECT_EQ(s.lost, s.not_written + s.ring + s.missed) << "lost is the sum of its parts";
  if (s.missed == 0 && stats_missed == 0) {
    EXPECT_EQ(accounted, counted) << "delivered + not written + dropped by the ring buffer vs the kernel's count";
  } else {
    const uint64_t slack = s.missed + stats_missed;
    EXPECT_LE(accounted, counted + slack);
    EXPECT_GE(accounted + slack, counted);
  }
}

TEST(CoreSlowReader, StalledTraceCountsLossKeepsCountsExactAndStopsOnSigterm) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns ns("slowreader");
  StalledPipe pipe;
  ASSERT_GE(pipe.reader.get(), 0);

  const KernelCounters before = ns.kernel_counters();
  Child trace({"/bin/sh", "-c", "exec " + tcpsight_binary() + " trace --json > " + pipe.fifo}, ns.inside());
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
  // The writer has gone: the pipe holds, and will give, exactly what trace wrote.
  size_t bytes = 0;
  const size_t received = read_all_lines(pipe.reader.get(), &bytes);

  const auto summary = parse_summary(trace.err());
  ASSERT_TRUE(summary) << trace.err();
  report_figure("trace events lost behind a stalled reader", static_cast<double>(summary->lost));
  report_figure("trace lines the stalled reader got", static_cast<double>(received));
  report_figure("of the lost: not written", static_cast<double>(summary->not_written));
  report_figure("of the lost: dropped by the ring buffer", static_cast<double>(summary->ring));
  EXPECT_EQ(summary->delivered, received) << "delivered must be what the reader can read; " << bytes << " bytes";
  EXPECT_GT(received, 0u) << "the pipe took lines before it filled";
  EXPECT_GT(summary->ring, 0u) << "more records than the ring buffer holds were produced and not read";
  EXPECT_GT(summary->not_written, 0u) << "the lines buffered when SIGTERM came were not written";
  EXPECT_EQ(summary->why, " (stopped while writing to a stalled reader)") << trace.err();
  EXPECT_EQ(summary->filtered, 0u);

  const auto reports = json_lines(stats.out());
  ASSERT_FALSE(reports.empty());
  const int64_t active_opens = after.at("Tcp.ActiveOpens") - before.at("Tcp.ActiveOpens");
  EXPECT_EQ(active_opens, static_cast<int64_t>(kConnections));
  EXPECT_EQ(transition_count(reports.back(), "CLOSE", "SYN_SENT"), static_cast<uint64_t>(active_opens))
      << "the exact counters do not depend on any reader";
  EXPECT_EQ(reports.back()["events"]["lost"], 0);
  expect_every_event_accounted(*summary, events_counted(reports.back()),
                               reports.back()["events"]["missed"].get<uint64_t>());
}

// The reader reads part of the output, then goes away (as `| head` does): trace sees EPIPE, ends by
// itself, and counts what it had queued as not written. The test stops trace (SIGSTOP) while it
// reads the pipe empty and closes it, so that nothing trace writes is left unread in between: what
// the test read is then exactly what trace wrote.
TEST(CoreSlowReader, ReaderGoneEndsTheTraceAndEveryEventIsAccounted) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns ns("readergone");
  StalledPipe pipe;
  ASSERT_GE(pipe.reader.get(), 0);

  Child trace({"/bin/sh", "-c", "exec " + tcpsight_binary() + " trace --json > " + pipe.fifo}, ns.inside());
  ASSERT_TRUE(trace.wait_for_line(Child::Stream::err, "tracing", 20s)) << trace.err();
  Child stats({tcpsight_binary(), "stats", "--json", "--interval", "0.5"}, ns.inside());
  ASSERT_TRUE(stats.wait_for_lines(Child::Stream::out, 1, 20s)) << stats.err();

  make_connections(ns.name(), "127.0.0.1", kConnections / 4, CloseMode::reset);
  const size_t seen = stats.lines(Child::Stream::out).size();
  ASSERT_TRUE(stats.wait_for_lines(Child::Stream::out, seen + 2, 10s)) << stats.err();
  stats.signal(SIGTERM);
  ASSERT_EQ(stats.wait(10s), 0) << stats.err();

  trace.signal(SIGSTOP);
  // A stopped process is shown as 'T' in /proc/PID/stat: only then can it write nothing more.
  ASSERT_TRUE(wait_until(
      [&] {
        std::ifstream in("/proc/" + std::to_string(trace.pid()) + "/stat");
        const std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const size_t paren = stat.rfind(')');
        return paren != std::string::npos && stat.size() > paren + 2 && stat[paren + 2] == 'T';
      },
      5s));
  const size_t received = read_all_lines(pipe.reader.get());
  pipe.reader.reset();  // the reader goes away
  trace.signal(SIGCONT);
  EXPECT_EQ(trace.wait(10s), 0) << "a trace whose reader has gone ends by itself: " << trace.err();

  const auto summary = parse_summary(trace.err());
  ASSERT_TRUE(summary) << trace.err();
  report_figure("trace lines read before the reader went", static_cast<double>(received));
  EXPECT_EQ(summary->delivered, received) << trace.err();
  EXPECT_GT(summary->not_written, 0u) << trace.err();
  EXPECT_EQ(summary->why, " (reader gone)") << trace.err();
  const auto reports = json_lines(stats.out());
  ASSERT_FALSE(reports.empty());
  EXPECT_EQ(transition_count(reports.back(), "CLOSE", "SYN_SENT"), kConnections / 4);
  expect_every_event_accounted(*summary, events_counted(reports.back()),
                               reports.back()["events"]["missed"].get<uint64_t>());
}

}  // namespace
}  // namespace tcpsight::itest
