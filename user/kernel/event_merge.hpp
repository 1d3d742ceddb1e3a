// Puts the records of the per-CPU ring buffers into one time order. Pure: no kernel call, so unit
// tests drive it with made-up records.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tcpsight/abi.h"

namespace tcpsight {

// Each CPU's programs write to that CPU's ring (bpf/tcpstates.bpf.c, event_rings), and ts_ns is
// CLOCK_MONOTONIC, one clock on every CPU. Within a ring, records come in the order they were
// committed: time order, except where a program interrupted another on the same CPU between its
// reservation and its clock read. Across rings, a drain reads one ring after the other, so it can
// find a record of ring B newer than one of ring A that was committed just after A was read. The
// reader therefore passes on only records older than a cutoff a little before its drain began, and
// holds the rest for the next drain, where they meet whatever was committed meanwhile.
class EventMerge {
 public:
  explicit EventMerge(size_t sources);

  void add(size_t source, const ts_event& e) { queues_[source].push_back(e); }

  // Appends to `out`, oldest first (ties in source order), every held record with ts_ns <=
  // cutoff_ns; returns how many. The others stay held.
  size_t release(uint64_t cutoff_ns, std::vector<ts_event>& out);

  size_t held() const;

 private:
  std::vector<std::vector<ts_event>> queues_;  // one per source, each put in time order by release()
  std::vector<size_t> ends_;                   // per source, in release(): how many go out
};

}  // namespace tcpsight
