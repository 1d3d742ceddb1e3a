// Owns the details iterator (bpf/socket_details.bpf.c) and reads every TCP socket of the calling
// thread's network namespace with its queues, RTT, cwnd, retransmits and bytes, as `ss -tie` shows
// them. Taken on demand (a drill-down, the processes view, stats --detail), not paced.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "tcpsight/abi.h"

struct socket_details;

namespace tcpsight {

class SocketDetails {
 public:
  // `sock_infos_fd`: a tracer's per-socket storage (Tracer::sock_infos_fd), shared so that the
  // records say since when each socket is in its state; nullopt: state_since_ns stays 0.
  explicit SocketDetails(std::optional<int> sock_infos_fd);
  ~SocketDetails();
  SocketDetails(const SocketDetails&) = delete;
  SocketDetails& operator=(const SocketDetails&) = delete;

  void take(std::vector<ts_sock_detail>& records);

 private:
  struct SkeletonDeleter {
    void operator()(socket_details* skel) const;
  };
  std::unique_ptr<socket_details, SkeletonDeleter> skel_;
  std::vector<char> buffer_;
};

}  // namespace tcpsight
