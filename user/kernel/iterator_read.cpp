#include "kernel/iterator_read.hpp"

#include <bpf/bpf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "kernel/bpf_handles.hpp"
#include "kernel/libbpf_log.hpp"

namespace tcpsight {

size_t read_iterator(int link_fd, std::vector<char>& buffer, const char* what) {
  UniqueFd iter(bpf_iter_create(link_fd));
  if (!iter) throw_kernel_error(std::string("cannot start ") + what, -errno);
  buffer.resize(std::max<size_t>(buffer.size(), 1u << 16));
  size_t used = 0;
  for (;;) {
    if (buffer.size() - used < (1u << 15)) buffer.resize(buffer.size() * 2);
    const ssize_t n = read(iter.get(), buffer.data() + used, buffer.size() - used);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      throw_kernel_error(std::string("reading ") + what + " failed", -errno);
    }
    used += static_cast<size_t>(n);
  }
  return used;
}

}  // namespace tcpsight
