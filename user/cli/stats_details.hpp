// stats --detail: every socket of a namespace with its holders, read at each report (a details
// pass, then the owner scan right after it, which finds each socket by the cookie the pass gave
// it), as the "detail" of that namespace's report. Not paced: it is what the user asked for, and
// costs a walk of the connection table and of every process's open files per report.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/owner_index.hpp"
#include "core/socket_rows.hpp"
#include "core/stats_detail.hpp"
#include "kernel/socket_details.hpp"
#include "kernel/socket_owners.hpp"

namespace tcpsight {

class StatsDetails {
 public:
  // Runs a details pass where the sockets of `inode` are (in tcpsight's own namespace: directly;
  // with -A/--netns: inside it); false when it could not (the namespace is gone).
  using PassIn = std::function<bool(uint32_t inode, const std::function<void()>& pass)>;

  // `owner_netns`: the namespace whose sockets the owner scan looks for; 0: every namespace.
  StatsDetails(const DetailRequest& request, uint32_t owner_netns);

  // One report's reading: a details pass in each of `inodes`, then one owner scan for all of them.
  void read(const std::vector<uint32_t>& inodes, const PassIn& pass_in);
  // The namespace's detail as read last; a namespace whose pass failed gets empty lists.
  nlohmann::json json(uint32_t inode) const;
  std::string text(uint32_t inode) const;

 private:
  DetailRequest request_;
  SocketDetails details_;
  SocketOwners owners_;
  std::map<uint32_t, std::vector<ts_sock_detail>> records_;  // by namespace, reused between reports
  std::vector<ts_owner_record> owner_records_;
  OwnerIndex index_;
  std::map<uint32_t, std::vector<SocketRow>> rows_;
};

}  // namespace tcpsight
