#include "core/socket_rows.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "core/tcp_state.hpp"

namespace tcpsight {

std::vector<SocketRow> socket_rows(std::span<const ts_sock_detail> details, const OwnerIndex& owners,
                                   uint64_t now_ns) {
  std::vector<SocketRow> rows;
  rows.reserve(details.size());
  for (const ts_sock_detail& d : details) {
    SocketRow r;
    r.local = IpAddress::from_raw(d.family, d.saddr);
    r.remote = IpAddress::from_raw(d.family, d.daddr);
    r.local_port = d.sport;
    r.remote_port = d.dport;
    r.state = reported_state(d.state);
    r.request_socket = d.state == TS_NEW_SYN_RECV;
    r.cookie = d.cookie;
    if (const auto holders = owners.holders(d.cookie); !holders.empty()) {
      r.tgid = holders.front().tgid;
      r.comm = comm_text(holders.front().comm);
      r.other_holders = holders.size() - 1;
      for (const OwnerIndex::Holder& h : holders) r.holders.push_back(h.tgid);
    }
    if (d.state_since_ns && d.state_since_ns <= now_ns)
      r.in_state_s = static_cast<double>(now_ns - d.state_since_ns) / 1e9;
    r.recv_q = d.recv_q;
    r.send_q = d.send_q;
    r.full = d.full;
    r.srtt_us = d.srtt_us;
    r.rttvar_us = d.rttvar_us;
    r.snd_cwnd = d.snd_cwnd;
    r.snd_ssthresh = d.snd_ssthresh;
    r.total_retrans = d.total_retrans;
    r.retrans_out = d.retrans_out;
    r.rto_ms = d.rto_ms;
    r.uid = d.uid;
    r.syn_queue = d.syn_queue;
    r.bytes_acked = d.bytes_acked;
    r.bytes_received = d.bytes_received;
    r.bytes_sent = d.bytes_sent;
    r.time_wait_remaining_ms = d.time_wait_remaining_ms;
    rows.push_back(std::move(r));
  }
  return rows;
}

std::vector<ProcessRow> process_rows(std::span<const SocketRow> rows, const OwnerIndex& owners) {
  std::map<uint32_t, ProcessRow> by_tgid;
  const auto add = [&](uint32_t tgid, const std::string& comm, const SocketRow& r) {
    ProcessRow& p = by_tgid[tgid];
    p.tgid = tgid;
    if (p.comm.empty()) p.comm = comm;
    ++p.sockets;
    ++p.by_state[static_cast<size_t>(r.state) % TS_NSTATES];
    if (r.state == TS_LISTEN) p.listening_ports.push_back(r.local_port);
  };
  for (const SocketRow& r : rows) {
    const auto holders = owners.holders(r.cookie);
    if (holders.empty()) add(0, "", r);
    for (const OwnerIndex::Holder& h : holders) add(h.tgid, comm_text(h.comm), r);
  }
  std::vector<ProcessRow> out;
  out.reserve(by_tgid.size());
  for (auto& [tgid, p] : by_tgid) {
    std::sort(p.listening_ports.begin(), p.listening_ports.end());
    p.listening_ports.erase(std::unique(p.listening_ports.begin(), p.listening_ports.end()), p.listening_ports.end());
    out.push_back(std::move(p));
  }
  std::stable_sort(out.begin(), out.end(), [](const ProcessRow& a, const ProcessRow& b) {
    if ((a.tgid == 0) != (b.tgid == 0)) return b.tgid == 0;
    return a.sockets > b.sockets;
  });
  return out;
}

namespace {

bool is_wildcard(const IpAddress& a) {
  const size_t n = a.family == AF_INET ? 4 : 16;
  return std::all_of(a.bytes.begin(), a.bytes.begin() + static_cast<long>(n), [](uint8_t b) { return b == 0; });
}

// How well a listener bound to `listener` takes a socket whose local address is `local` (same
// port): 3 its own address, 2 every address of its kind, 1 a dual-stack listener taking IPv4,
// 0 not at all.
int match_rank(const IpAddress& listener, const IpAddress& local) {
  if (!is_wildcard(listener)) return listener.same_host(local) ? 3 : 0;
  if (listener.family == AF_INET) return local.family == AF_INET ? 2 : 0;
  if (local.family == AF_INET6) return 2;  // IPv6, or IPv4-mapped through this very listener
  return 1;
}

}  // namespace

std::vector<ListenerDetail> listener_details(std::span<const SocketRow> rows) {
  std::vector<ListenerDetail> out;
  for (const SocketRow& r : rows) {
    if (r.state != TS_LISTEN) continue;
    ListenerDetail l;
    l.addr = r.local;
    l.port = r.local_port;
    l.cookie = r.cookie;
    l.syn_queue = r.syn_queue;
    l.accept_queue = r.recv_q;
    l.backlog = r.send_q;
    l.pids = r.holders;
    out.push_back(std::move(l));
  }
  std::sort(out.begin(), out.end(), [](const ListenerDetail& a, const ListenerDetail& b) {
    return std::tuple(a.port, a.addr, a.cookie) < std::tuple(b.port, b.addr, b.cookie);
  });
  for (ListenerDetail& l : out)
    l.sharing = static_cast<size_t>(std::count_if(
        out.begin(), out.end(), [&](const ListenerDetail& o) { return o.port == l.port && o.addr == l.addr; }));
  for (const SocketRow& r : rows) {
    if (r.state == TS_LISTEN) continue;
    int best = 0;
    for (const ListenerDetail& l : out)
      if (l.port == r.local_port) best = std::max(best, match_rank(l.addr, r.local));
    if (best == 0) continue;  // no listener of its port: an outgoing connection, or its listener closed
    // The first listener of the best address takes it; each of the others bound there shows the same count.
    const IpAddress* taker = nullptr;
    for (ListenerDetail& l : out) {
      if (l.port != r.local_port || match_rank(l.addr, r.local) != best) continue;
      if (taker && !(l.addr == *taker)) continue;
      taker = &l.addr;
      ++l.connections[static_cast<size_t>(r.state) % TS_NSTATES];
    }
  }
  return out;
}

}  // namespace tcpsight
