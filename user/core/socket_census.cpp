#include "core/socket_census.hpp"

#include <algorithm>
#include <map>

#include "core/tcp_state.hpp"

namespace tcpsight {

namespace {

Spread spread_of(std::vector<int32_t>& ms) {
  if (ms.empty()) return {};
  auto mid = ms.begin() + static_cast<std::ptrdiff_t>(ms.size() / 2);
  std::nth_element(ms.begin(), mid, ms.end());
  const auto [lo, hi] = std::minmax_element(ms.begin(), ms.end());
  return {*lo / 1000.0, *mid / 1000.0, *hi / 1000.0};
}

std::vector<PeerCount> largest(const std::map<IpAddress, uint64_t>& counts, size_t n) {
  std::vector<PeerCount> peers;
  peers.reserve(counts.size());
  for (const auto& [addr, sockets] : counts) peers.push_back({addr, sockets});
  const size_t keep = std::min(n, peers.size());
  std::partial_sort(peers.begin(), peers.begin() + static_cast<std::ptrdiff_t>(keep), peers.end(),
                    [](const PeerCount& a, const PeerCount& b) {
                      return a.sockets != b.sockets ? a.sockets > b.sockets : a.addr < b.addr;
                    });
  peers.resize(keep);
  return peers;
}

}  // namespace

bool SocketCounts::add(const ts_sock_record& r) {
  if (r.state < 1 || r.state >= TS_NSTATES) return false;
  ++total;
  ++by_state[static_cast<size_t>(reported_state(r.state))];
  if (r.state == TS_NEW_SYN_RECV) ++request_sockets;
  if (r.state == TS_LISTEN)
    listeners.push_back({IpAddress::from_raw(r.family, r.saddr), r.sport, r.syn_queue, r.accept_queue, r.max_backlog});
  return true;
}

SocketCensus SocketCensus::from_records(std::span<const ts_sock_record> records, size_t top_peers) {
  SocketCensus c;
  std::vector<int32_t> remaining_ms;
  std::map<IpAddress, uint64_t> tw_peers;

  for (const ts_sock_record& r : records) {
    if (!c.add(r) || r.state != TS_TIME_WAIT) continue;
    const int32_t ms = std::max<int32_t>(r.time_wait_remaining_ms, 0);
    remaining_ms.push_back(ms);
    const size_t bucket = std::min<size_t>(static_cast<size_t>(ms / 1000 / TimeWaitCensus::kBucketSeconds),
                                           c.time_wait.remaining_histogram.size() - 1);
    ++c.time_wait.remaining_histogram[bucket];
    ++tw_peers[IpAddress::from_raw(r.family, r.daddr)];
  }
  c.time_wait.count = remaining_ms.size();
  c.time_wait.remaining_seconds = spread_of(remaining_ms);
  c.time_wait.top_peers = largest(tw_peers, top_peers);
  std::sort(c.listeners.begin(), c.listeners.end(), [](const ListenerQueue& a, const ListenerQueue& b) {
    return a.port != b.port ? a.port < b.port : a.addr < b.addr;
  });
  return c;
}

}  // namespace tcpsight
