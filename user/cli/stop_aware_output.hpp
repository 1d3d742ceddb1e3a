// Buffered standard output that a stop request can interrupt: a stalled reader (a pipe nobody
// drains) blocks the writes, and stdio would retry them forever after SIGTERM. It counts every line
// it was given as written (all its bytes reached the fd) or discarded, so that trace's summary can
// say what was delivered.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tcpsight {

class StopAwareOutput {
 public:
  // Why output ended early.
  enum class Failure { none, reader_gone, stopped };

  explicit StopAwareOutput(int fd, size_t flush_at = 1u << 20) : fd_(fd), flush_at_(flush_at) {}

  // Appends a line (a newline is added); flushes once the buffer holds flush_at bytes. Once the
  // output has failed, the line is counted as discarded.
  void line(std::string_view text);
  // A line the caller did not even format because the output has failed: counted as discarded.
  void skip() { ++discarded_; }
  // Writes what is buffered. False, for good, once the reader has gone or a stop was requested
  // while waiting for it; the lines not wholly written then are discarded.
  bool flush();
  bool ok() const { return failure_ == Failure::none; }
  Failure failure() const { return failure_; }

  // Lines whose every byte, newline included, the fd accepted. (A pipe's reader may still drop
  // what it had not read when it exits: that is past what a writer can know.)
  uint64_t written() const { return written_; }
  // Lines given but not wholly written: a line cut short by the failure counts here.
  uint64_t discarded() const { return discarded_; }

 private:
  // After a stop, how long a write waits for the reader to make room before the output gives up.
  static constexpr int kStopGraceMs = 100;

  int fd_;
  size_t flush_at_;
  std::string buffer_;
  std::vector<size_t> line_ends_;  // offset just past each buffered line's newline
  Failure failure_ = Failure::none;
  uint64_t written_ = 0;
  uint64_t discarded_ = 0;
};

}  // namespace tcpsight
