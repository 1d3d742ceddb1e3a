// The result of one owner scan (iter/task_file), searchable by socket cookie: which processes hold
// each TCP socket's file. Flat and sorted, so a scan of a million sockets costs no allocation per
// socket.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tcpsight/abi.h"

namespace tcpsight {

class OwnerIndex {
 public:
  struct Holder {
    uint64_t cookie = 0;
    uint32_t tgid = 0;
    char comm[16] = {};
  };

  OwnerIndex() = default;
  // Records of one scan in any order; several per socket when several processes (or several fds
  // of one process) hold it. `scanned_s`: monotonic seconds when the scan started.
  OwnerIndex(std::span<const ts_owner_record> records, double scanned_s);

  // The processes holding the socket, lowest tgid first, one entry each; empty when none did.
  std::span<const Holder> holders(uint64_t cookie) const;
  bool empty() const { return holders_.empty(); }
  size_t sockets() const { return sockets_; }
  // When the scan started: a socket opened later is not in it. False before the first scan.
  bool taken() const { return taken_; }
  double scanned_s() const { return scanned_s_; }

 private:
  std::vector<Holder> holders_;  // by (cookie, tgid), no duplicates
  size_t sockets_ = 0;
  bool taken_ = false;
  double scanned_s_ = 0;
};

// The comm of a holder or an event as text (the kernel's fixed 16 bytes, maybe without a NUL).
std::string comm_text(const char (&comm)[16]);

}  // namespace tcpsight
