// Owns the iter/task_file program and scans which process holds each TCP socket's file: every
// open file of every task in tcpsight's pid namespace that is a TCP socket of the chosen network
// namespace, as (cookie, tgid, fd, comm) records.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "tcpsight/abi.h"

struct socket_owners;

namespace tcpsight {

// What the last scan visited: for cost reports and for tests.
struct OwnerScanStats {
  uint64_t files_seen = 0;         // open files visited, sockets or not
  uint64_t duplicate_threads = 0;  // files skipped because a thread shares its leader's table
  uint64_t without_cookie = 0;     // TCP sockets skipped: no cookie yet, so no event to tie them to
};

class SocketOwners {
 public:
  // netns: only sockets of this network namespace inode; 0: every namespace.
  explicit SocketOwners(uint32_t netns);
  ~SocketOwners();
  SocketOwners(const SocketOwners&) = delete;
  SocketOwners& operator=(const SocketOwners&) = delete;

  // One pass over every task's open files.
  std::vector<ts_owner_record> take();
  // The same into `records`, reusing its memory.
  void take(std::vector<ts_owner_record>& records);
  const OwnerScanStats& last_stats() const { return stats_; }

 private:
  struct SkeletonDeleter {
    void operator()(socket_owners* skel) const;
  };
  std::unique_ptr<socket_owners, SkeletonDeleter> skel_;
  std::vector<char> buffer_;
  OwnerScanStats stats_;
};

}  // namespace tcpsight
