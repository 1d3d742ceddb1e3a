#include "kernel/socket_owners.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "kernel/bpf_handles.hpp"
#include "kernel/iterator_read.hpp"
#include "kernel/libbpf_log.hpp"
#include "socket_owners.skel.h"

namespace tcpsight {

void SocketOwners::SkeletonDeleter::operator()(socket_owners* skel) const { socket_owners__destroy(skel); }

SocketOwners::SocketOwners(uint32_t netns) {
  skel_.reset(socket_owners__open());
  if (!skel_) throw_kernel_error("cannot open the socket owner iterator", -errno);
  skel_->rodata->target_netns = netns;
  if (int err = socket_owners__load(skel_.get()); err)
    throw_kernel_error("cannot load tcpsight's socket owner iterator", err);
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
  read_iterator_records(bpf_link__fd(skel_->links.dump_socket_owners), buffer_, "a socket owner scan", records);
  stats_ = {skel_->bss->files_seen, skel_->bss->duplicate_threads, skel_->bss->without_cookie};
}

}  // namespace tcpsight
