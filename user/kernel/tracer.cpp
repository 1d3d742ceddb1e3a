#include "kernel/tracer.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/counter_totals.hpp"
#include "core/errors.hpp"
#include "kernel/cpu_rings.hpp"
#include "kernel/kernel_facts.hpp"
#include "kernel/libbpf_log.hpp"
#include "tcpstates.skel.h"

namespace tcpsight {

void Tracer::SkeletonDeleter::operator()(tcpstates* skel) const { tcpstates__destroy(skel); }

namespace {
void set_stream_filter(tcpstates& skel, const KernelStreamFilter& f) {
  skel.rodata->filter_nports = f.nports;
  for (size_t i = 0; i < f.ports.size(); ++i) skel.rodata->filter_ports[i] = f.ports[i];
  skel.rodata->filter_addr_family = f.addr_family;
  for (size_t i = 0; i < f.addr.size(); ++i) skel.rodata->filter_addr[i] = f.addr[i];
  skel.rodata->filter_states = f.states;
  skel.rodata->filter_time_wait = f.time_wait;
}
}  // namespace

Tracer::Tracer(const TracerOptions& options) {
  ncpus_ = libbpf_num_possible_cpus();
  if (ncpus_ <= 0) throw_kernel_error("cannot count possible CPUs", ncpus_);

  const TracepointFacts& kernel = tracepoint_facts();
  skel_.reset(tcpstates__open());
  if (!skel_) throw_kernel_error("cannot open the tracepoint programs", -errno);
  // One variant of each tracepoint whose arguments changed: the verifier refuses the other.
  bpf_program__set_autoload(skel_->progs.on_retransmit, !kernel.retransmit_reports_errors);
  bpf_program__set_autoload(skel_->progs.on_retransmit_err, kernel.retransmit_reports_errors);
  bpf_program__set_autoload(skel_->progs.on_send_reset, !kernel.reset_reports_reason);
  bpf_program__set_autoload(skel_->progs.on_send_reset_reason, kernel.reset_reports_reason);
  skel_->rodata->target_netns = options.netns;
  skel_->rodata->stream_kinds = options.stream_kinds;
  skel_->rodata->track_sockets = options.track_sockets;
  skel_->rodata->jiffies_per_second = kernel_facts().hz;
  skel_->rodata->per_netns = options.netns_slots > 0;
  set_stream_filter(*skel_, options.filter);
  if (int err = bpf_map__set_max_entries(skel_->maps.netns_counters, std::max<__u32>(options.netns_slots, 1)); err)
    throw_kernel_error("cannot size the per-namespace counters", err);
  // The rings share options.ring_bytes, each of at least kMinRingBytes; a page each when nothing is
  // streamed, then only the first is made, as the template the map of rings needs at load.
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t ring = options.stream_kinds ? std::max(options.ring_bytes / static_cast<size_t>(ncpus_), kMinRingBytes) : page;
  size_t pow2 = page;
  while (pow2 < ring) pow2 <<= 1;
  skel_->rodata->wakeup_bytes = pow2 / 4;
  rings_ = std::make_unique<CpuRings>(options.stream_kinds ? ncpus_ : 1, pow2);
  if (int err = bpf_map__set_max_entries(skel_->maps.event_rings, static_cast<__u32>(ncpus_)); err)
    throw_kernel_error("cannot size the map of event ring buffers", err);
  if (int err = bpf_map__set_inner_map_fd(skel_->maps.event_rings, rings_->template_fd()); err)
    throw_kernel_error("cannot give the map of event ring buffers its ring type", err);

  if (int err = tcpstates__load(skel_.get()); err)
    throw_kernel_error("cannot load tcpsight's tracepoint programs", err);
  if (int err = tcpstates__attach(skel_.get()); err) throw_kernel_error("cannot attach to the TCP tracepoints", err);

  if (options.stream_kinds)
    rings_->install(bpf_map__fd(skel_->maps.event_rings));
  else
    rings_.reset();  // the programs stream nothing: no ring is looked up
}

Tracer::~Tracer() = default;

int Tracer::poll(int timeout_ms, std::vector<ts_event>& out, bool last) {
  if (!rings_) {
    if (timeout_ms > 0) usleep(static_cast<useconds_t>(timeout_ms) * 1000);
    return 0;
  }
  return rings_->drain(timeout_ms, out, last);
}

int Tracer::poll(int timeout_ms, const EventSink& sink, bool last) {
  drained_.clear();
  const int n = poll(timeout_ms, drained_, last);
  for (const ts_event& e : drained_) sink(e);
  return n;
}

ts_counters Tracer::read_counters() const {
  std::vector<ts_counters> per_cpu(static_cast<size_t>(ncpus_));
  const __u32 key = 0;
  if (int err = bpf_map_lookup_elem(bpf_map__fd(skel_->maps.counters), &key, per_cpu.data()); err)
    throw_kernel_error("cannot read the counters map", -errno);
  return sum_counters(per_cpu);
}

std::vector<NetnsCounters> Tracer::read_netns_counters() const {
  std::vector<NetnsCounters> out;
  const int fd = bpf_map__fd(skel_->maps.netns_counters);
  std::vector<ts_netns_counters> per_cpu(static_cast<size_t>(ncpus_));
  __u32 key = 0, next = 0;
  const __u32* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    key = next;
    prev = &key;
    // An entry deleted between the two calls is simply not there any more.
    if (bpf_map_lookup_elem(fd, &key, per_cpu.data()) != 0) continue;
    out.push_back({key, sum_netns_counters(per_cpu)});
  }
  return out;
}

void Tracer::forget_netns(uint32_t inode) {
  const __u32 key = inode;
  bpf_map_delete_elem(bpf_map__fd(skel_->maps.netns_counters), &key);  // gone already: nothing to do
}

int Tracer::sock_infos_fd() const { return bpf_map__fd(skel_->maps.sock_infos); }

uint64_t Tracer::missed_events() const {
  uint64_t missed = 0;
  bpf_program* prog = nullptr;
  bpf_object__for_each_program(prog, skel_->obj) {
    bpf_prog_info info{};
    __u32 len = sizeof info;
    if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) == 0) missed += info.recursion_misses;
  }
  return missed;
}

}  // namespace tcpsight
