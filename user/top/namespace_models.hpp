// top -A and --netns: a TopModel per network namespace, fed from the NamespaceTable (that
// namespace's own counters, census and /proc/net counters, which stand in for the host's) and from
// the events of its own sockets. Each yields the full view of one namespace; together they yield
// the list's rows. Pure: no kernel calls, no terminal.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>

#include "core/namespace_table.hpp"
#include "core/owner_index.hpp"
#include "tcpsight/abi.h"
#include "top/top_frame.hpp"
#include "top/top_model.hpp"
#include "top/view_state.hpp"

namespace tcpsight {

// What top -A shows at one refresh: the list, and each namespace's full view.
struct NamespaceFrames {
  TopFrame list;                      // the header's figures summed over the namespaces, and their rows
  std::map<uint32_t, TopFrame> each;  // by inode
};

// The frame the view shows: the namespace shown in full, else the list.
const TopFrame& shown_frame(const NamespaceFrames& frames, const ViewState& view);

// What one refresh hands every namespace's model besides the table.
struct NamespaceRefresh {
  double now_s = 0;  // monotonic
  double wall_s = 0;
  bool snapshot_fresh = false;  // the table's censuses are a new round's
  uint64_t events_lost = 0;     // records the ring buffer dropped, whichever namespace they were of
  const OwnerIndex* owners = nullptr;
  // The namespace on screen in full: its model stays, with its final figures, after the table
  // drops it, until the view leaves it.
  std::optional<uint32_t> keep;
  // Its sockets with their details (the drill-down or processes view is on screen), read inside it.
  bool details_taken = false;
  std::span<const ts_sock_detail> details{};
  uint64_t details_ns = 0;
  const OwnerIndex* detail_owners = nullptr;
};

class NamespaceModels {
 public:
  // `host`: hostname and kernel for every header; its netns is replaced by each namespace's name.
  NamespaceModels(HostInfo host, double start_s);

  // The event goes to the model of the namespace of its socket.
  void on_event(const ts_event& e);
  void refresh(const NamespaceTable& table, const NamespaceRefresh& refresh);
  NamespaceFrames frames() const;
  // Whether an owner scan would name an owner a namespace's flow table lacks.
  bool wants_owner_scan(const OwnerIndex& owners) const;

 private:
  struct Watched {
    TopModel model;
    NamespaceIdentity id;
    bool gone = false;
  };
  Watched& watched(uint32_t inode);
  // Its identity, and the header's name for it.
  void name(Watched& w, const NamespaceIdentity& id, bool gone);

  HostInfo host_;
  double start_s_;
  double now_s_ = 0, wall_s_ = 0;
  uint64_t events_lost_ = 0;
  std::map<uint32_t, Watched> watched_;
};

}  // namespace tcpsight
