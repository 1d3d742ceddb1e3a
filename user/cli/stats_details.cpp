#include "cli/stats_details.hpp"

#include <optional>

#include "cli/signals.hpp"

namespace tcpsight {

StatsDetails::StatsDetails(const DetailRequest& request, uint32_t owner_netns)
    : request_(request), details_(std::nullopt), owners_(owner_netns) {}

void StatsDetails::read(const std::vector<uint32_t>& inodes, const PassIn& pass_in) {
  std::map<uint32_t, std::vector<ts_sock_detail>> taken;
  for (uint32_t inode : inodes) {
    std::vector<ts_sock_detail>& records = taken[inode];
    if (auto it = records_.find(inode); it != records_.end()) records = std::move(it->second);
    if (!pass_in(inode, [&] { details_.take(records); })) records.clear();
  }
  records_ = std::move(taken);  // namespaces that are gone are forgotten
  // After every pass: each socket now has a cookie, so one scan finds the holders of all of them.
  const double scanned = monotonic_seconds();
  owners_.take(owner_records_);
  index_ = OwnerIndex(owner_records_, scanned);
  rows_.clear();
  for (const auto& [inode, records] : records_)
    rows_[inode] = socket_rows(records, index_, 0);  // no time in state: stats keeps no socket storage
}

nlohmann::json StatsDetails::json(uint32_t inode) const {
  const auto it = rows_.find(inode);
  return detail_json(it == rows_.end() ? std::span<const SocketRow>{} : it->second, index_, request_);
}

std::string StatsDetails::text(uint32_t inode) const {
  const auto it = rows_.find(inode);
  return detail_text(it == rows_.end() ? std::span<const SocketRow>{} : it->second, index_, request_);
}

}  // namespace tcpsight
