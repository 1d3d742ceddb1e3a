// Names the network namespace of each event (trace -A): inode -> what users know it by. Namespaces
// are scanned again when an event names one not seen yet, at most a few times a second, so a new
// container is named from its first events; one found by no scan keeps the name "netns-<inode>".
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "kernel/namespace_names.hpp"

namespace tcpsight {

class NamespaceDirectory {
 public:
  // The name of namespace `inode`; `now_s`: monotonic seconds, for pacing rescans.
  std::string name_of(uint32_t inode, double now_s);

 private:
  void rescan();

  NamespaceNamer namer_;
  std::map<uint32_t, std::string> names_;
  double last_scan_s_ = -1e9;
};

}  // namespace tcpsight
