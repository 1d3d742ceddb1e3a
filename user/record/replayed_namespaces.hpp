// The NamespaceTable that live stats -A and top -A kept, rebuilt from a recording of namespaces
// (record -A or --netns) at any moment of it: the namespaces last found, their own exact counters,
// and a census for each whose recorded snapshot the table has not had yet.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <utility>
#include <vector>

#include "core/namespace_table.hpp"
#include "record/replay.hpp"

namespace tcpsight::recording {

// (inode, counters) pairs, as NamespaceTable::refresh takes them.
std::vector<std::pair<uint32_t, ts_netns_counters>> counters_by_inode(std::span<const NetnsCountersRecord> records);

class ReplayedNamespaces {
 public:
  // The refresh the live command made at `t_ns`, from the replay's state there. False (and no
  // refresh) before the recording's first namespace refresh.
  bool refresh(const ReplayState& s, uint64_t t_ns);
  const NamespaceTable& table() const { return table_; }
  // The last refresh gave some namespace a census it had not had.
  bool census_fresh() const { return census_fresh_; }

 private:
  NamespaceTable table_;
  std::map<uint32_t, uint64_t> seen_snapshot_;  // by inode: the snapshot_seq the table has
  bool census_fresh_ = false;
};

}  // namespace tcpsight::recording
