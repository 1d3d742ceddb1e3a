#include "record/replayed_namespaces.hpp"

namespace tcpsight::recording {

std::vector<std::pair<uint32_t, ts_netns_counters>> counters_by_inode(std::span<const NetnsCountersRecord> records) {
  std::vector<std::pair<uint32_t, ts_netns_counters>> out;
  out.reserve(records.size());
  for (const NetnsCountersRecord& r : records) out.emplace_back(r.netns, r.counters);
  return out;
}

bool ReplayedNamespaces::refresh(const ReplayState& s, uint64_t t_ns) {
  census_fresh_ = false;
  if (!s.has_namespaces) return false;
  // Those last found, each a snapshot older by the time since that refresh; a census for each whose
  // snapshot is newer than the one the table has.
  std::vector<NamespaceSighting> sightings = s.namespaces.sightings;
  for (NamespaceSighting& n : sightings) {
    n.snapshot_age_s += t_ns > s.namespaces_ns ? static_cast<double>(t_ns - s.namespaces_ns) / 1e9 : 0;
    const auto seq = s.netns_snapshot_seq.find(n.id.inode);
    const auto records = s.netns_sockets.find(n.id.inode);
    if (seq == s.netns_snapshot_seq.end() || records == s.netns_sockets.end()) continue;  // none recorded yet
    if (seen_snapshot_[n.id.inode] == seq->second) continue;                                // the table has it
    seen_snapshot_[n.id.inode] = seq->second;
    n.census = SocketCensus::from_records(records->second);
    census_fresh_ = true;
  }
  for (uint32_t inode : table_.refresh(sightings, counters_by_inode(s.netns_counters), static_cast<double>(t_ns) / 1e9))
    seen_snapshot_.erase(inode);  // dropped: a namespace given its inode again starts afresh
  return true;
}

}  // namespace tcpsight::recording
