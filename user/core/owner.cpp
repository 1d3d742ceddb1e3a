#include "core/owner.hpp"

#include <algorithm>
#include <cstring>

namespace tcpsight {

size_t Owner::other_holders() const {
  return static_cast<size_t>(std::count_if(holders.begin(), holders.end(), [&](uint32_t h) { return h != tgid; }));
}

bool Owner::held_by(uint32_t pid) const {
  return (known() && tgid == pid) || std::binary_search(holders.begin(), holders.end(), pid);
}

Owner named_by_event(const ts_event& e) {
  Owner o;
  if (!(e.flags & TS_F_OWNER_KNOWN)) return o;
  o.source = OwnerSource::event;
  o.tgid = e.tgid;
  o.comm.assign(e.comm, strnlen(e.comm, sizeof e.comm));
  return o;
}

}  // namespace tcpsight
