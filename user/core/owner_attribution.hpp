// The owner of each event `trace` prints: the process holding the socket, or unknown; never a
// process that does not hold it. Most events run in softirq context, where the current task is
// whoever was on the CPU, so the kernel names an owner only for events that ran in the holder's
// own task (connect, listen, close, shutdown). For every other event the owner is, in order:
//
//  1. the kernel's own TS_F_OWNER_KNOWN of that event;
//  2. the owner an earlier event of the same socket named, in these events or remembered from
//     earlier ones (forgotten at the socket's ->CLOSE; superseded when a later owner scan shows the
//     socket held, but not by that process, as after passing the fd on);
//  3. the owner a later event of the same socket names among the events held (a connection
//     accepted and closed before a scan: its close() names the holder);
//  4. the process holding the socket's file at the latest owner scan (iter/task_file), lowest tgid
//     first when several do (a pre-fork listener);
//  5. unknown.
//
// Events are held while some socket has no owner from 1-3: until a scan (when the pacer allows
// one) finds its holder or shows that nobody holds it, and, for a socket still open and held by
// nobody at the scan (in an accept queue, or closed by its holder just before), until the close()
// that names its holder arrives with the next events; never longer than `max_hold_s`.
// Pure: no kernel calls.
#pragma once

#include <cstdint>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/owner.hpp"
#include "core/owner_index.hpp"
#include "core/owner_scan_pacer.hpp"
#include "tcpsight/abi.h"

namespace tcpsight {

struct OwnedEvent {
  ts_event event{};
  Owner owner;
};

struct OwnerAttributionOptions {
  size_t remembered_capacity = 65536;  // sockets whose owner an event named; then the oldest go
  double max_hold_s = 0.5;             // the longest an event waits for a scan
  size_t max_held_events = 1u << 16;   // then events are released without waiting
  double min_scan_interval_s = kOwnerScanMinInterval;
  double scan_cpu_share = kOwnerScanCpuShare;
  // tcpsight's own pid, never an owner: the owner scan holds a reference to each file it visits,
  // so a close() racing it can drop the last reference, and run tcp_close(), in tcpsight's task.
  uint32_t self_tgid = 0;
};

class OwnerAttribution {
 public:
  explicit OwnerAttribution(OwnerAttributionOptions options = {});

  // Holds an event until release(); `now_s` is monotonic seconds.
  void add(const ts_event& e, double now_s);
  // A scan should run now: some held event's socket has no owner from events, memory or the last
  // scan, and the pacer allows one.
  bool scan_due(double now_s) const;
  // A scan that ran from `started_s` to `finished_s` (monotonic seconds).
  void on_scan(std::span<const ts_owner_record> records, double started_s, double finished_s);
  // release() should run: no held event's socket waits for its owner, or the oldest has waited
  // long enough, or too many are held.
  bool ready(double now_s) const;
  // Every held event with its owner, in arrival order.
  std::vector<OwnedEvent> release();

  size_t held() const { return held_.size(); }
  bool waiting_for_owner() const { return !unresolved_.empty(); }
  size_t remembered() const { return remembered_.size(); }
  uint64_t evictions() const { return evictions_; }
  uint64_t scans() const { return scans_; }
  const OwnerIndex& index() const { return index_; }

 private:
  struct Named {
    uint32_t tgid = 0;
    char comm[16] = {};
    uint64_t ts_ns = 0;  // when the event that named it happened
    uint64_t used = 0;   // for eviction: higher is more recent
  };
  bool names_owner(const ts_event& e) const;
  Owner owner_of(const Named& n) const;
  Owner holders_of(uint64_t cookie) const;
  const Named* recall(uint64_t cookie);
  void remember(uint64_t cookie, const Named& n);

  OwnerAttributionOptions options_;
  OwnerScanPacer pacer_;
  OwnerIndex index_;
  std::vector<ts_event> held_;
  double first_held_s_ = 0;
  std::unordered_set<uint64_t> named_in_held_;  // sockets an event held names the owner of
  // Sockets of held events with no owner yet, and the state of their latest event.
  std::unordered_map<uint64_t, uint8_t> unresolved_;
  std::unordered_map<uint64_t, Named> remembered_;
  uint64_t use_clock_ = 0;
  uint64_t evictions_ = 0;
  uint64_t scans_ = 0;
};

// Whether a socket in this state may still be closed (close(), shutdown()) by a holder: then that
// call names it. From FIN_WAIT*, LAST_ACK, CLOSING and CLOSE nobody will.
bool holder_may_close(int state);

// Before 6.15 LISTEN->SYN_RECV fires inside inet_csk_clone_lock() before the child has its own
// addresses, ports and cookie: the event carries the listener's (remote port 0). It says nothing
// about any socket's owner. From 6.15 it carries the child's.
bool describes_unborn_child(const ts_event& e);

}  // namespace tcpsight
