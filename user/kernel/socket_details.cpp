#include "kernel/socket_details.hpp"

#include <bpf/libbpf.h>

#include <cerrno>

#include "core/errors.hpp"
#include "kernel/iterator_read.hpp"
#include "kernel/kernel_facts.hpp"
#include "kernel/libbpf_log.hpp"
#include "socket_details.skel.h"

namespace tcpsight {

void SocketDetails::SkeletonDeleter::operator()(socket_details* skel) const { socket_details__destroy(skel); }

SocketDetails::SocketDetails(std::optional<int> sock_infos_fd) {
  skel_.reset(socket_details__open());
  if (!skel_) throw_kernel_error("cannot open the socket details iterator", -errno);
  skel_->rodata->jiffies_per_second = kernel_facts().hz;
  if (sock_infos_fd)
    if (int err = bpf_map__reuse_fd(skel_->maps.sock_infos, *sock_infos_fd); err)
      throw_kernel_error("cannot share the tracer's socket storage with the details iterator", err);
  if (int err = socket_details__load(skel_.get()); err)
    throw_kernel_error("cannot load tcpsight's socket details iterator", err);
  if (int err = socket_details__attach(skel_.get()); err)
    throw_kernel_error("cannot attach the socket details iterator", err);
}

SocketDetails::~SocketDetails() = default;

void SocketDetails::take(std::vector<ts_sock_detail>& records) {
  read_iterator_records(bpf_link__fd(skel_->links.dump_socket_details), buffer_, "a socket details pass", records);
}

}  // namespace tcpsight
