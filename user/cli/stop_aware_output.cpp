#include "cli/stop_aware_output.hpp"

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
    const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n > 0) done += static_cast<size_t>(n);
    // A signal cuts a blocked write short (EINTR, or a partial count): give up if it asked us to
    // stop. Any other error (EPIPE with SIGPIPE ignored, EBADF, ...) means nobody reads any more.
    // A write that took everything is no stall, stop or not: a stopping trace still writes what
    // it drained last to a reader that keeps up.
    if (n < 0 && errno != EINTR)
      failure_ = Failure::reader_gone;
    else if (done < buffer_.size() && stop_requested())
      failure_ = Failure::stopped;
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
