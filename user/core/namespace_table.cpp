#include "core/namespace_table.hpp"

#include <set>

#include "core/counter_totals.hpp"

namespace tcpsight {

ts_counters as_counters(const ts_netns_counters& n) {
  ts_counters c{};
  static_assert(sizeof c.transitions == sizeof n.transitions && sizeof c.retransmits == sizeof n.retransmits);
  for (int o = 0; o < TS_NSTATES; ++o)
    for (int s = 0; s < TS_NSTATES; ++s) c.transitions[o][s] = n.transitions[o][s];
  for (int s = 0; s < TS_NSTATES; ++s) c.retransmits[s] = n.retransmits[s];
  c.retransmits_failed = n.retransmits_failed;
  c.synack_retransmits = n.synack_retransmits;
  c.resets_sent = n.resets_sent;
  c.resets_received = n.resets_received;
  c.resets_sent_no_socket = n.resets_sent_no_socket;
  c.time_wait_entered = n.time_wait_entered;
  c.fin_wait2_handed_over = n.fin_wait2_handed_over;
  for (int s = 0; s < TS_NSTATES; ++s) c.closed_after_reset[s] = n.closed_after_reset[s];
  c.events_seen = events_counted(c);
  return c;
}

double kernel_rate(const NamespaceView& ns, const std::string& key) {
  if (ns.kernel_interval_s <= 0) return 0;
  const auto now = ns.kernel.find(key), before = ns.kernel_before.find(key);
  if (now == ns.kernel.end() || before == ns.kernel_before.end() || now->second < before->second) return 0;
  return static_cast<double>(now->second - before->second) / ns.kernel_interval_s;
}

std::vector<uint32_t> NamespaceTable::refresh(const std::vector<NamespaceSighting>& seen,
                                              const std::vector<std::pair<uint32_t, ts_netns_counters>>& counters,
                                              double now_s) {
  std::vector<uint32_t> dropped;
  std::set<uint32_t> present;
  for (const NamespaceSighting& s : seen) {
    present.insert(s.id.inode);
    NamespaceView& v = views_[s.id.inode];
    v.id = s.id;
    if (s.census) v.figures.on_snapshot(*s.census);
    v.figures.on_snapshot_age(s.snapshot_age_s);
    if (s.kernel) {
      if (!v.kernel.empty()) {
        v.kernel_before = std::move(v.kernel);
        v.kernel_interval_s = now_s - v.last_kernel_s;
      }
      v.kernel = *s.kernel;
      v.last_kernel_s = now_s;
    }
    if (s.limits) v.limits = s.limits;
  }
  std::set<uint32_t> counted;
  for (const auto& [inode, c] : counters) {
    counted.insert(inode);
    auto [it, added] = views_.try_emplace(inode);
    // Counted but never found: it came and went between two scans. Shown once under its inode.
    if (added) it->second.id = {.inode = inode, .name = "netns-" + std::to_string(inode), .kind = "inode", .container_id = {}, .host = false};
    it->second.figures.on_counters(as_counters(c), now_s);
  }
  for (auto it = views_.begin(); it != views_.end();) {
    NamespaceView& v = it->second;
    if (!counted.count(it->first)) v.figures.on_counters(v.figures.totals(), now_s);  // no event yet
    v.refreshes_gone = present.count(it->first) ? 0 : v.refreshes_gone + 1;
    v.gone = v.refreshes_gone > 0;
    if (v.refreshes_gone < 2) {
      ++it;
      continue;
    }
    dropped.push_back(it->first);
    it = views_.erase(it);
  }
  return dropped;
}

const NamespaceView* NamespaceTable::find(uint32_t inode) const {
  const auto it = views_.find(inode);
  return it == views_.end() ? nullptr : &it->second;
}

}  // namespace tcpsight
