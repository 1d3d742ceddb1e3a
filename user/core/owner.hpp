// Who owns a socket as tcpsight shows it: a process, or unknown. Never a guess.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tcpsight/abi.h"

namespace tcpsight {

enum class OwnerSource : uint8_t {
  unknown,  // nobody is known to hold it (TIME_WAIT, orphans, closed, or not seen by a scan)
  event,    // an event that ran in the holder's own context (connect, listen, close, shutdown)
  scan,     // the process holding the socket's file at the last owner scan
};

struct Owner {
  OwnerSource source = OwnerSource::unknown;
  uint32_t tgid = 0;  // 0 when unknown
  std::string comm;
  // Every process holding the socket's file at the last scan that saw it, lowest first; empty
  // when no scan saw it. A pre-fork listener is held by the parent and each child.
  std::vector<uint32_t> holders;

  bool known() const { return source != OwnerSource::unknown; }
  // Processes holding the socket besides the one shown.
  size_t other_holders() const;
  // `trace --pid`: the process is the owner shown, or holds the socket too.
  bool held_by(uint32_t pid) const;
};

// The owner the event itself names (TS_F_OWNER_KNOWN), else unknown.
Owner named_by_event(const ts_event& e);

}  // namespace tcpsight
