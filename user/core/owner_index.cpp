#include "core/owner_index.hpp"

#include <algorithm>
#include <cstring>
#include <tuple>

namespace tcpsight {

OwnerIndex::OwnerIndex(std::span<const ts_owner_record> records, double scanned_s)
    : taken_(true), scanned_s_(scanned_s) {
  holders_.reserve(records.size());
  for (const ts_owner_record& r : records) {
    Holder h;
    h.cookie = r.cookie;
    h.tgid = r.tgid;
    std::memcpy(h.comm, r.comm, sizeof h.comm);
    holders_.push_back(h);
  }
  const auto key = [](const Holder& h) { return std::tuple(h.cookie, h.tgid); };
  std::sort(holders_.begin(), holders_.end(), [&](const Holder& a, const Holder& b) { return key(a) < key(b); });
  // One entry per process: a process may hold a socket through several fds (dup, or a thread
  // with a file table of its own).
  holders_.erase(std::unique(holders_.begin(), holders_.end(),
                             [&](const Holder& a, const Holder& b) { return key(a) == key(b); }),
                 holders_.end());
  for (size_t i = 0; i < holders_.size(); ++i)
    if (i == 0 || holders_[i].cookie != holders_[i - 1].cookie) ++sockets_;
}

std::span<const OwnerIndex::Holder> OwnerIndex::holders(uint64_t cookie) const {
  const auto first = std::lower_bound(holders_.begin(), holders_.end(), cookie,
                                      [](const Holder& h, uint64_t c) { return h.cookie < c; });
  auto last = first;
  while (last != holders_.end() && last->cookie == cookie) ++last;
  return {first, last};
}

std::string comm_text(const char (&comm)[16]) { return std::string(comm, strnlen(comm, sizeof comm)); }

}  // namespace tcpsight
