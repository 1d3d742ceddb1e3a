// What `tcpsight top` reads from the kernel at each refresh: for its own network namespace, or with
// -A/--netns namespace by namespace. Either way the view gets NamespaceFrames (without -A/--netns:
// just the list frame, which is the one namespace's full view).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "cli/namespace_option.hpp"
#include "top/namespace_models.hpp"

namespace tcpsight {

class TopReadings {
 public:
  virtual ~TopReadings() = default;
  // Takes the records queued so far; called between refreshes too, so that the ring buffer never
  // fills up while the view waits for a key.
  virtual void drain() = 0;
  // `keep`: the namespace on screen in full, kept after it vanished (NamespaceRefresh::keep).
  // `details`: the drill-down or the processes view is on screen, so every socket is read with its
  // details and holder at this refresh (TopFrame::sockets, processes).
  virtual void refresh(std::optional<uint32_t> keep, bool details) = 0;
  virtual NamespaceFrames frames() const = 0;
};

// tcpsight's own network namespace.
// `socket_timing`: keep per-socket storage for the sockets list's time in state (top --socket-timing).
std::unique_ptr<TopReadings> own_namespace_readings(double snapshot_share, bool socket_timing);
// Every namespace (-A) or the one --netns names.
std::unique_ptr<TopReadings> namespace_readings(const NamespaceChoice& choice, double snapshot_share,
                                                bool socket_timing);

}  // namespace tcpsight
