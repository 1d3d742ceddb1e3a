// Owns tcpsight's tracepoint programs: load, attach, exact counters, optional event stream.
// Destruction detaches and unloads everything.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "core/event_filter.hpp"
#include "kernel/bpf_handles.hpp"
#include "tcpsight/abi.h"

#include <bpf/libbpf.h>

struct tcpstates;

namespace tcpsight {

class CpuRings;

struct TracerOptions {
  uint32_t netns = 0;        // only this network namespace; 0: all
  uint32_t stream_kinds = 0; // TS_STREAM_BIT(kind) for each kind to stream; 0: counters only
  size_t ring_bytes = 8u << 20;  // shared out among the CPUs' rings (CpuRings)
  // Per-socket storage for time in state and lifetime (connection durations): an allocation per
  // socket and a lookup at each state change, about 500 ns more per state change; opt-in where a
  // front end shows them.
  bool track_sockets = false;
  // --all-namespaces: room for this many namespaces' own counters (read_netns_counters); 0: none kept.
  uint32_t netns_slots = 0;
  // trace's --port/--addr/--state, applied before records reach the ring buffer; default: none.
  KernelStreamFilter filter{};
};

// One namespace's exact counters, summed over CPUs.
struct NetnsCounters {
  uint32_t inode = 0;
  ts_netns_counters counters{};
};

class Tracer {
 public:
  using EventSink = std::function<void(const ts_event&)>;

  explicit Tracer(const TracerOptions& options);
  ~Tracer();
  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;

  // Exact totals since attach, summed over CPUs.
  ts_counters read_counters() const;

  // Every namespace's own counters (TracerOptions::netns_slots), in no particular order.
  std::vector<NetnsCounters> read_netns_counters() const;
  // Drops a namespace's counters (it is gone): its inode may be given to a new namespace later.
  void forget_netns(uint32_t inode);

  // Tracepoint hits the kernel skipped because another BPF program was already running on that
  // CPU (its recursion guard, prog info `recursion_misses`): events neither counted nor streamed.
  uint64_t missed_events() const;

  // The per-socket storage of the state programs, for the details iterator to read how long each
  // socket has been in its state (SocketDetails); the fd stays the tracer's.
  int sock_infos_fd() const;

  // Waits up to timeout_ms for the kernel to signal a full batch, then drains every queued event
  // and passes on, in time order, those older than a moment before the drain (CpuRings); the
  // `last` drain passes on everything. Returns the number delivered. A signal ends the wait early.
  int poll(int timeout_ms, const EventSink& sink, bool last = false);
  // The same, the events appended to `out`: no call per event (record's path, at full churn).
  int poll(int timeout_ms, std::vector<ts_event>& out, bool last = false);

  // Each CPU's ring is at least this big (unless nothing is streamed), whatever ring_bytes says.
  static constexpr size_t kMinRingBytes = 1u << 20;

 private:
  struct SkeletonDeleter {
    void operator()(tcpstates* skel) const;
  };
  std::unique_ptr<tcpstates, SkeletonDeleter> skel_;
  std::unique_ptr<CpuRings> rings_;  // null when nothing is streamed
  std::vector<ts_event> drained_;    // poll(sink)'s batch, its memory kept between calls
  int ncpus_ = 1;
};

}  // namespace tcpsight
