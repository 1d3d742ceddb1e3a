#include "kernel/snapshotter.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/errors.hpp"
#include "kernel/bpf_handles.hpp"
#include "kernel/kernel_facts.hpp"
#include "kernel/libbpf_log.hpp"
#include "snapshot.skel.h"

namespace tcpsight {

void Snapshotter::SkeletonDeleter::operator()(snapshot* skel) const { snapshot__destroy(skel); }

Snapshotter::Snapshotter() {
  skel_.reset(snapshot__open());
  if (!skel_) throw_kernel_error("cannot open the socket iterator", -errno);
  skel_->rodata->jiffies_per_second = kernel_facts().hz;
  if (int err = snapshot__load(skel_.get()); err)
    throw_kernel_error("cannot load tcpsight's socket iterator", err);
  if (int err = snapshot__attach(skel_.get()); err) throw_kernel_error("cannot attach the socket iterator", err);
}

Snapshotter::~Snapshotter() = default;

std::vector<ts_sock_record> Snapshotter::take() {
  std::vector<ts_sock_record> records;
  take(records);
  return records;
}

void Snapshotter::take(std::vector<ts_sock_record>& records) {
  UniqueFd iter(bpf_iter_create(bpf_link__fd(skel_->links.dump_sockets)));
  if (!iter) throw_kernel_error("cannot start a socket snapshot", -errno);
  buffer_.resize(std::max<size_t>(buffer_.size(), 1u << 16));
  size_t used = 0;
  for (;;) {
    if (buffer_.size() - used < (1u << 15)) buffer_.resize(buffer_.size() * 2);
    const ssize_t n = read(iter.get(), buffer_.data() + used, buffer_.size() - used);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      throw_kernel_error("reading the socket snapshot failed", -errno);
    }
    used += static_cast<size_t>(n);
  }
  records.resize(used / sizeof(ts_sock_record));
  std::memcpy(records.data(), buffer_.data(), records.size() * sizeof(ts_sock_record));
}

}  // namespace tcpsight
