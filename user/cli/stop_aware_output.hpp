// Buffered standard output that a stop request can interrupt: a stalled reader (a pipe nobody
// drains) blocks the writes, and stdio would retry them forever after SIGTERM.
#pragma once

#include <string>
#include <string_view>

namespace tcpsight {

class StopAwareOutput {
 public:
  explicit StopAwareOutput(int fd, size_t flush_at = 1u << 20) : fd_(fd), flush_at_(flush_at) {}

  // Appends a line (a newline is added); flushes once the buffer holds flush_at bytes.
  void line(std::string_view text);
  // Writes what is buffered. False, for good, once the reader has gone or a stop was requested
  // while waiting for it.
  bool flush();
  bool ok() const { return ok_; }

 private:
  int fd_;
  size_t flush_at_;
  std::string buffer_;
  bool ok_ = true;
};

}  // namespace tcpsight
