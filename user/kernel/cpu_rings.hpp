// The event ring buffers, one per CPU, and their reader, which passes records on in time order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <bpf/libbpf.h>

#include "kernel/bpf_handles.hpp"
#include "kernel/event_merge.hpp"

namespace tcpsight {

// One ring for all CPUs made every record take that ring's lock and move its producer position
// between CPUs: with a ring per CPU, record's programs took 338 instead of 392 ns per state change
// at full churn with client closes on 2 CPUs, 321 instead of 361 with resets (medians of 7 rounds
// of bench/churn_overhead.sh, 2026-12-04).
class CpuRings {
 public:
  // A ring of `ring_bytes` (a power of two, a page or more) for each of `cpus` possible CPUs.
  CpuRings(int cpus, size_t ring_bytes);
  CpuRings(const CpuRings&) = delete;
  CpuRings& operator=(const CpuRings&) = delete;

  // A ring to create the programs' map of rings from (bpf_map__set_inner_map_fd, before load).
  int template_fd() const { return rings_.front().get(); }

  // Puts ring i at key i of the loaded programs' map of rings, and opens the reader.
  void install(int rings_map_fd);

  // Waits up to timeout_ms for a wake-up, drains every ring, and passes on in time order what is
  // older than kHoldBackNs before the drain (everything when `everything`), appended to `out`; the
  // rest waits for the next drain. Returns how many records were appended.
  int drain(int timeout_ms, std::vector<ts_event>& out, bool everything);

  // How far behind its drain a record may still be committed and keep its place: the time from a
  // program's reservation to its submission, a few hundred ns, unless an interrupt or (in a VM) the
  // hypervisor holds the CPU up in between. A record later than that is passed on when it comes.
  static constexpr uint64_t kHoldBackNs = 2'000'000;

 private:
  static int on_record(void* ctx, void* data, size_t size);

  struct Source {
    CpuRings* rings;
    size_t index;
  };
  std::vector<UniqueFd> rings_;
  std::vector<Source> sources_;  // the reader's callback contexts: sized once, never moved
  EventMerge merge_;
  Owned<ring_buffer, ring_buffer__free> reader_;
};

}  // namespace tcpsight
