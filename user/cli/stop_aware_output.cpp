#include "cli/stop_aware_output.hpp"

#include <limits.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "cli/signals.hpp"

namespace tcpsight {

void StopAwareOutput::line(std::string_view text) {
  if (!ok()) {
    ++discarded_;
    return;
  }
  buffer_.append(text);
  buffer_.push_back('\n');
  line_ends_.push_back(buffer_.size());
  if (buffer_.size() >= flush_at_) flush();
}

bool StopAwareOutput::flush() {
  size_t done = 0;
  while (ok() && done < buffer_.size()) {
    size_t chunk = buffer_.size() - done;
    // Once a stop is requested, only what the reader takes now: a pipe that has room for PIPE_BUF
    // bytes (POLLOUT) takes a write of that many without blocking. A reader that keeps up gets the
    // last drain whole; a stalled one ends the output within kStopGraceMs.
    if (stop_requested()) {
      pollfd p{.fd = fd_, .events = POLLOUT, .revents = 0};
      const int ready = ::poll(&p, 1, kStopGraceMs);
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0 || !(p.revents & POLLOUT)) {
        failure_ = p.revents & (POLLERR | POLLHUP) ? Failure::reader_gone : Failure::stopped;
        break;
      }
      chunk = std::min<size_t>(chunk, PIPE_BUF);
    }
    const ssize_t n = ::write(fd_, buffer_.data() + done, chunk);
    if (n > 0) done += static_cast<size_t>(n);
    // A signal cuts a blocked write short (EINTR, or a partial count); the loop then goes on as
    // stopping. Any other error (EPIPE with SIGPIPE ignored, EBADF, EAGAIN of a full non-blocking
    // fd, ...) means nobody reads any more.
    if (n < 0 && errno != EINTR) failure_ = Failure::reader_gone;
  }
  // Lines are counted by where their newline ends, not by scanning the text: a line's own bytes
  // may be anything its formatter let through.
  const auto whole = static_cast<uint64_t>(std::upper_bound(line_ends_.begin(), line_ends_.end(), done) -
                                           line_ends_.begin());
  written_ += whole;
  discarded_ += line_ends_.size() - whole;
  buffer_.clear();
  line_ends_.clear();
  return ok();
}

}  // namespace tcpsight
