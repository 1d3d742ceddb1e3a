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
#include "kernel/iterator_read.hpp"
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
  read_iterator_records(bpf_link__fd(skel_->links.dump_sockets), buffer_, "a socket snapshot", records);
}

}  // namespace tcpsight
