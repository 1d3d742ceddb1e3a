#include "kernel/socket_owners.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "kernel/bpf_handles.hpp"
#include "kernel/libbpf_log.hpp"
#include "socket_owners.skel.h"

namespace tcpsight {

void SocketOwners::SkeletonDeleter::operator()(socket_owners* skel) const { socket_owners__destroy(skel); }

SocketOwners::SocketOwners(uint32_t netns) {
  skel_.reset(socket_owners__open());
  if (!skel_) throw_kernel_error("cannot open the socket owner iterator", -errno);
  skel_->rodata->target_netns = netns;
  if (int err = socket_owners__load(skel_.get()); err)
    throw_kernel_error("the kernel refused tcpsight's socket owner iterator (last verifier lines follow)", err);
  if (int err = socket_owners__attach(skel_.get()); err)
    throw_kernel_error("cannot attach the socket owner iterator", err);
}

SocketOwners::~SocketOwners() = default;

std::vector<ts_owner_record> SocketOwners::take() {
  std::vector<ts_owner_record> records;
  take(records);
  return records;
}

void SocketOwners::take(std::vector<ts_owner_record>& records) {
  skel_->bss->files_seen = 0;
  skel_->bss->duplicate_threads = 0;
  skel_->bss->without_cookie = 0;
  UniqueFd iter(bpf_iter_create(bpf_link__fd(skel_->links.dump_socket_owners)));
  if (!iter) throw_kernel_error("cannot start a socket owner scan", -errno);
  buffer_.resize(std::max<size_t>(buffer_.size(), 1u << 16));
  size_t used = 0;
  for (;;) {
    if (buffer_.size() - used < (1u << 15)) buffer_.resize(buffer_.size() * 2);
    const ssize_t n = read(iter.get(), buffer_.data() + used, buffer_.size() - used);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      throw_kernel_error("reading the socket owner scan failed", -errno);
    }
    used += static_cast<size_t>(n);
  }
  records.resize(used / sizeof(ts_owner_record));
  std::memcpy(records.data(), buffer_.data(), records.size() * sizeof(ts_owner_record));
  stats_ = {skel_->bss->files_seen, skel_->bss->duplicate_threads, skel_->bss->without_cookie};
}

}  // namespace tcpsight
