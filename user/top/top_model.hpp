// The model behind `tcpsight top`: what is measured, refresh by refresh. It feeds the Aggregator
// with the kernel's counters, snapshots and the rare per-flow events, keeps what rates and trends
// need from the previous refresh, and hands the view a TopFrame. No kernel calls, no terminal.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <span>
#include <unordered_map>
#include <utility>

#include "core/aggregator.hpp"
#include "core/ephemeral_ports.hpp"
#include "core/netstat_parse.hpp"
#include "core/owner_index.hpp"
#include "top/top_frame.hpp"

namespace tcpsight {

// Everything one refresh reads from the kernel.
struct TopReading {
  ts_counters counters{};
  std::span<const ts_sock_record> sockets;
  KernelCounters kernel;                // empty when /proc/net/{snmp,netstat} could not be read
  std::optional<PortRange> port_range;  // nullopt when net.ipv4.ip_local_port_range could not be read
  double now_s = 0;                     // monotonic
  double wall_s = 0;
  bool snapshot_fresh = true;  // false: `sockets` is an earlier refresh's snapshot again (paced)
  double snapshot_age_s = 0;
  const OwnerIndex* owners = nullptr;  // the latest owner scan; null: none
  // The census of `sockets` when someone counted it already (top -A: the namespace table); null:
  // the model counts `sockets` itself.
  const SocketCensus* census = nullptr;
  // The drill-down's details pass and the owner scan taken right after it; both empty when no
  // drill-down or processes view is on screen (details_taken false).
  bool details_taken = false;
  std::span<const ts_sock_detail> details{};
  uint64_t details_ns = 0;  // CLOCK_MONOTONIC at the pass
  const OwnerIndex* detail_owners = nullptr;
};

class TopModel {
 public:
  // A listener's SYN queue that grew at this many refreshes in a row is flagged.
  static constexpr int kGrowthRefreshes = 3;
  // A flow whose socket closed (its last event said so, or the snapshot lacks it) leaves the table
  // this long after its last event.
  static constexpr double kClosedFlowLingerSeconds = 60;

  TopModel(HostInfo host, double start_s, size_t flow_capacity = 4096);

  void on_event(const ts_event& e) { aggregator_.on_event(e); }
  void refresh(const TopReading& reading);
  // Whether an owner scan would name an owner the flow table lacks (flows_want_owner_scan).
  bool wants_owner_scan(const OwnerIndex& owners) const;
  const TopFrame& frame() const { return frame_; }
  // The header's host and namespace (top -A: a namespace's name becomes known, or it is gone).
  void set_host(HostInfo host) { frame_.host = std::move(host); }

 private:
  struct ListenerTrend {
    uint32_t syn_queue = 0;
    int growth_streak = 0;
  };
  void fill_states(double now_s);
  void fill_transitions();
  void fill_kernel_rates(const KernelCounters& kernel, double now_s);
  void fill_half_open();
  void fill_flows(const TopReading& reading, double now_s);
  void fill_details(const TopReading& reading);

  Aggregator aggregator_;
  TopFrame frame_;
  double start_s_;
  std::optional<std::array<uint64_t, TS_NSTATES>> previous_by_state_;
  double previous_states_s_ = 0;
  KernelCounters previous_kernel_;
  double previous_kernel_s_ = 0;
  std::map<std::pair<IpAddress, uint16_t>, ListenerTrend> listener_trends_;
  std::array<uint64_t, TS_NSTATES> previous_closed_after_reset_{};
  // Each flow's totals at the previous refresh, for its per-interval rates.
  struct FlowTotals {
    uint64_t retransmits = 0, resets = 0;
  };
  std::unordered_map<FlowKey, FlowTotals, FlowKeyHash> previous_flows_;
  double previous_flows_s_ = 0;
};

}  // namespace tcpsight
