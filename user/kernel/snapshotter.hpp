// Owns the iter/tcp program and takes exact snapshots of every TCP socket of this network
// namespace: full sockets, TIME_WAIT sockets and half-open request sockets.
#pragma once

#include <memory>
#include <vector>

#include "tcpsight/abi.h"

struct snapshot;

namespace tcpsight {

class Snapshotter {
 public:
  Snapshotter();
  ~Snapshotter();
  Snapshotter(const Snapshotter&) = delete;
  Snapshotter& operator=(const Snapshotter&) = delete;

  std::vector<ts_sock_record> take();
  // The same into `records`, reusing its memory: for callers that take snapshots again and again
  // (tcpsight serve), no allocation and no page faults once it has grown.
  void take(std::vector<ts_sock_record>& records);

 private:
  struct SkeletonDeleter {
    void operator()(snapshot* skel) const;
  };
  std::unique_ptr<snapshot, SkeletonDeleter> skel_;
  std::vector<char> buffer_;
};

}  // namespace tcpsight
