#include "kernel/cpu_rings.hpp"

#include <bpf/bpf.h>

#include <algorithm>
#include <cerrno>
#include <limits>
#include <string>

#include "kernel/clock.hpp"
#include "kernel/libbpf_log.hpp"
#include "kernel/record_decode.hpp"

namespace tcpsight {

CpuRings::CpuRings(int cpus, size_t ring_bytes) : merge_(static_cast<size_t>(cpus)) {
  rings_.reserve(static_cast<size_t>(cpus));
  sources_.reserve(static_cast<size_t>(cpus));
  for (int cpu = 0; cpu < cpus; ++cpu) {
    const int fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "ts_cpu_ring", 0, 0, static_cast<__u32>(ring_bytes), nullptr);
    if (fd < 0) throw_kernel_error("cannot create the event ring buffer of CPU " + std::to_string(cpu), -errno);
    rings_.emplace_back(fd);
    sources_.push_back({this, static_cast<size_t>(cpu)});
  }
}

void CpuRings::install(int rings_map_fd) {
  for (size_t cpu = 0; cpu < rings_.size(); ++cpu) {
    const __u32 key = static_cast<__u32>(cpu);
    const int fd = rings_[cpu].get();
    if (bpf_map_update_elem(rings_map_fd, &key, &fd, BPF_ANY) != 0)
      throw_kernel_error("cannot hand the kernel programs the ring buffer of CPU " + std::to_string(cpu), -errno);
    if (cpu == 0)
      reader_.reset(ring_buffer__new(fd, &CpuRings::on_record, &sources_[cpu], nullptr));
    else if (reader_ && ring_buffer__add(reader_.get(), fd, &CpuRings::on_record, &sources_[cpu]) != 0)
      throw_kernel_error("cannot open the event ring buffer of CPU " + std::to_string(cpu), -errno);
    if (!reader_) throw_kernel_error("cannot open the event ring buffers", -errno);
  }
}

int CpuRings::on_record(void* ctx, void* data, size_t size) {
  const auto* source = static_cast<const Source*>(ctx);
  if (const auto e = decode_event(data, size)) source->rings->merge_.add(source->index, *e);
  return 0;
}

int CpuRings::drain(int timeout_ms, std::vector<ts_event>& out, bool everything) {
  const int woken = ring_buffer__poll(reader_.get(), timeout_ms);
  if (woken < 0 && woken != -EINTR) throw_kernel_error("reading the event ring buffers failed", woken);
  const uint64_t began = monotonic_ns();
  // Records are submitted without wake-ups: drain whatever is queued, woken or not.
  const int more = ring_buffer__consume(reader_.get());
  if (more < 0) throw_kernel_error("reading the event ring buffers failed", more);
  const uint64_t cutoff = everything ? std::numeric_limits<uint64_t>::max() : began - std::min(began, kHoldBackNs);
  return static_cast<int>(merge_.release(cutoff, out));
}

}  // namespace tcpsight
