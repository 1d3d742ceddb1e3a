#include "cli/stop_aware_output.hpp"

#include <unistd.h>

#include <cerrno>

#include "cli/signals.hpp"

namespace tcpsight {

void StopAwareOutput::line(std::string_view text) {
  if (!ok_) return;
  buffer_.append(text);
  buffer_.push_back('\n');
  if (buffer_.size() >= flush_at_) flush();
}

bool StopAwareOutput::flush() {
  size_t done = 0;
  while (ok_ && done < buffer_.size()) {
    const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n > 0) done += static_cast<size_t>(n);
    // A signal cuts a blocked write short (EINTR, or a partial count): give up if it asked us to stop.
    if ((n < 0 && errno != EINTR) || stop_requested()) ok_ = false;
  }
  buffer_.clear();
  return ok_;
}

}  // namespace tcpsight
