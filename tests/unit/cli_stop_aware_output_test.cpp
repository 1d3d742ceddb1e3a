// trace's end summary says how many lines reached the reader: StopAwareOutput must count a line as
// written only when the fd took every byte of it, and as discarded otherwise.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "cli/signals.hpp"
#include "cli/stop_aware_output.hpp"

namespace tcpsight {
namespace {

// 99 characters and the newline: 100 bytes a line, so byte counts say which line a cut fell in.
const std::string kLine(99, 'x');
constexpr size_t kPageSize = 4096;  // the smallest pipe the kernel makes (F_SETPIPE_SZ rounds up)

struct Pipe {
  int read_end = -1, write_end = -1;
  Pipe() {
    int fds[2];
    if (pipe(fds) != 0) std::abort();
    read_end = fds[0];
    write_end = fds[1];
  }
  ~Pipe() {
    close_read();
    if (write_end >= 0) close(write_end);
  }
  void close_read() {
    if (read_end >= 0) close(read_end);
    read_end = -1;
  }
  // Everything in the pipe now (the write end stays open: non-blocking read until empty).
  std::string take() const {
    fcntl(read_end, F_SETFL, O_NONBLOCK);
    std::string out;
    char buf[8192];
    for (ssize_t n; (n = read(read_end, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
    return out;
  }
};

// SIGPIPE ignored as main() does (install_stop_signals), for the length of a test: a write to a
// pipe with no reader then fails with EPIPE instead of killing the test program.
class IgnoreSigpipe {
 public:
  IgnoreSigpipe() { old_ = std::signal(SIGPIPE, SIG_IGN); }
  ~IgnoreSigpipe() { std::signal(SIGPIPE, old_); }

 private:
  void (*old_)(int) = SIG_DFL;
};

size_t newlines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

TEST(StopAwareOutput, CountsEveryLineTheReaderGets) {
  Pipe p;
  StopAwareOutput out(p.write_end);
  for (int i = 0; i < 30; ++i) out.line(kLine);  // 3,000 bytes: fits in any pipe
  EXPECT_EQ(out.written(), 0u) << "buffered lines are not written yet";
  EXPECT_TRUE(out.flush());
  const std::string got = p.take();
  EXPECT_EQ(newlines(got), 30u);
  EXPECT_EQ(out.written(), 30u);
  EXPECT_EQ(out.discarded(), 0u);
  EXPECT_EQ(out.failure(), StopAwareOutput::Failure::none);
}

TEST(StopAwareOutput, AClosedReaderDiscardsEveryLineAndEveryLaterOne) {
  IgnoreSigpipe ignore;
  Pipe p;
  p.close_read();
  StopAwareOutput out(p.write_end);
  for (int i = 0; i < 5; ++i) out.line(kLine);
  EXPECT_FALSE(out.flush()) << "EPIPE ends the output";
  EXPECT_EQ(out.failure(), StopAwareOutput::Failure::reader_gone);
  EXPECT_EQ(out.written(), 0u);
  EXPECT_EQ(out.discarded(), 5u);
  out.line(kLine);  // after the failure: counted, not buffered
  out.skip();       // not even formatted
  EXPECT_EQ(out.discarded(), 7u);
  EXPECT_FALSE(out.flush());
  EXPECT_EQ(out.written(), 0u);
}

TEST(StopAwareOutput, ALineCutShortCountsAsDiscardedNotWritten) {
  // A one-page pipe that takes 4,096 bytes, then refuses (EAGAIN on a non-blocking fd, which
  // StopAwareOutput treats as a reader that will not take more): lines 1-40 fit whole (4,000
  // bytes), line 41 is cut after 96 bytes, lines 42-50 never start.
  IgnoreSigpipe ignore;
  Pipe p;
  ASSERT_EQ(fcntl(p.write_end, F_SETPIPE_SZ, static_cast<int>(kPageSize)), static_cast<int>(kPageSize))
      << "the test needs a pipe of exactly one page";
  fcntl(p.write_end, F_SETFL, O_NONBLOCK);
  StopAwareOutput out(p.write_end);
  for (int i = 0; i < 50; ++i) out.line(kLine);
  EXPECT_FALSE(out.flush());
  const std::string got = p.take();
  EXPECT_EQ(got.size(), kPageSize);
  EXPECT_EQ(out.written(), newlines(got)) << "written must be what the reader can read whole";
  EXPECT_EQ(out.written(), 40u);
  EXPECT_EQ(out.discarded(), 10u);
  EXPECT_EQ(out.failure(), StopAwareOutput::Failure::reader_gone);
}

TEST(StopAwareOutput, FlushingAtTheThresholdKeepsTheCounts) {
  Pipe p;
  StopAwareOutput out(p.write_end, 250);  // flushes inside line() every third line
  for (int i = 0; i < 7; ++i) out.line(kLine);
  EXPECT_EQ(out.written(), 6u) << "two flushes of three lines each inside line()";
  EXPECT_TRUE(out.flush());
  EXPECT_EQ(out.written(), 7u);
  EXPECT_EQ(newlines(p.take()), 7u);
}

// SIGTERM while a write is blocked on a reader that has stopped reading: the write returns what it
// had copied, the output gives up at once, and the lines not wholly copied are discarded. Run in a
// child process (a death test), as the stop request cannot be taken back.
void raise_stop(int) { raise(SIGTERM); }

TEST(StopAwareOutputDeathTest, AStopWhileBlockedOnAStalledReaderDiscardsWhatWasNotWritten) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        install_stop_signals();
        // SIGALRM stands in for the user's SIGTERM arriving while the write is blocked: its
        // handler raises SIGTERM, whose handler sets the stop flag; no SA_RESTART, so the write
        // returns its partial count.
        struct sigaction sa{};
        sa.sa_handler = raise_stop;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGALRM, &sa, nullptr);
        Pipe p;
        if (fcntl(p.write_end, F_SETPIPE_SZ, static_cast<int>(kPageSize)) != static_cast<int>(kPageSize)) std::_Exit(3);
        StopAwareOutput out(p.write_end);
        for (int i = 0; i < 50; ++i) out.line(kLine);
        itimerval t{};
        t.it_value.tv_usec = 200'000;
        setitimer(ITIMER_REAL, &t, nullptr);
        const bool ok = out.flush();  // blocks after the first page until the signal
        const std::string got = p.take();
        std::fprintf(stderr, "ok=%d written=%llu discarded=%llu read=%zu newlines=%zu\n", ok,
                     static_cast<unsigned long long>(out.written()), static_cast<unsigned long long>(out.discarded()),
                     got.size(), newlines(got));
        const bool right = !ok && out.failure() == StopAwareOutput::Failure::stopped && out.written() == 40 &&
                           out.discarded() == 10 && newlines(got) == 40;
        std::_Exit(right ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "ok=0 written=40 discarded=10 read=4096 newlines=40");
}

// trace's last drain comes after the stop request (SIGTERM): what the reader takes whole is written,
// and the lines after it too; only a write the stop cuts short ends the output.
TEST(StopAwareOutputDeathTest, AfterAStopWhatAReaderTakesWholeIsStillWritten) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        install_stop_signals();
        raise(SIGTERM);
        if (!stop_requested()) std::_Exit(3);
        Pipe p;
        StopAwareOutput out(p.write_end);
        for (int i = 0; i < 3; ++i) out.line(kLine);
        const bool first = out.flush();
        out.line(kLine);
        const bool second = out.flush();
        const std::string got = p.take();
        std::fprintf(stderr, "ok=%d,%d written=%llu discarded=%llu newlines=%zu\n", first, second,
                     static_cast<unsigned long long>(out.written()), static_cast<unsigned long long>(out.discarded()),
                     newlines(got));
        std::_Exit(first && second && out.written() == 4 && out.discarded() == 0 && newlines(got) == 4 ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "ok=1,1 written=4 discarded=0 newlines=4");
}

// The last drain after a stop, to a reader that has stopped reading: the output gives up after a
// short grace instead of blocking in write() with no signal left to end it.
TEST(StopAwareOutputDeathTest, AfterAStopAStalledReaderEndsTheOutputInsteadOfBlocking) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        install_stop_signals();
        Pipe p;
        if (fcntl(p.write_end, F_SETPIPE_SZ, static_cast<int>(kPageSize)) != static_cast<int>(kPageSize)) std::_Exit(3);
        const std::string fill(kPageSize, 'f');
        if (write(p.write_end, fill.data(), fill.size()) != static_cast<ssize_t>(fill.size())) std::_Exit(4);
        raise(SIGTERM);
        StopAwareOutput out(p.write_end);
        for (int i = 0; i < 3; ++i) out.line(kLine);
        const bool ok = out.flush();
        std::fprintf(stderr, "ok=%d stopped=%d written=%llu discarded=%llu\n", ok,
                     out.failure() == StopAwareOutput::Failure::stopped, static_cast<unsigned long long>(out.written()),
                     static_cast<unsigned long long>(out.discarded()));
        std::_Exit(!ok && out.written() == 0 && out.discarded() == 3 ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "ok=0 stopped=1 written=0 discarded=3");
}

}  // namespace
}  // namespace tcpsight
