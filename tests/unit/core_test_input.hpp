// Synthetic kernel input for the unit tests of user/core: events and snapshot records built the
// way the BPF programs fill them (addresses in network byte order, ports in host order).
#pragma once

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

#include "tcpsight/abi.h"

namespace tcpsight::test {

struct RawAddress {
  uint8_t family = 0;
  uint8_t bytes[16] = {};
};

// "10.0.0.1" or "::1" into the kernel's layout (IPv4 in the first 4 bytes).
inline RawAddress raw_address(const std::string& text) {
  RawAddress a;
  if (inet_pton(AF_INET, text.c_str(), a.bytes) == 1) {
    a.family = AF_INET;
  } else if (inet_pton(AF_INET6, text.c_str(), a.bytes) == 1) {
    a.family = AF_INET6;
  } else {
    throw std::invalid_argument("test address: " + text);
  }
  return a;
}

// One end's view of a connection: its own address and port, and the peer's.
struct Ends {
  std::string local;
  uint16_t local_port = 0;
  std::string remote;
  uint16_t remote_port = 0;

  Ends reversed() const { return {remote, remote_port, local, local_port}; }
};

// Builds one ts_event; each setter returns the builder so a test reads as one sentence.
class EventBuilder {
 public:
  EventBuilder(uint8_t kind, const Ends& ends) {
    e_.kind = kind;
    const RawAddress l = raw_address(ends.local), r = raw_address(ends.remote);
    if (l.family != r.family) throw std::invalid_argument("test event: mixed address families");
    e_.family = l.family;
    std::memcpy(e_.saddr, l.bytes, sizeof e_.saddr);
    std::memcpy(e_.daddr, r.bytes, sizeof e_.daddr);
    e_.sport = ends.local_port;
    e_.dport = ends.remote_port;
  }

  EventBuilder& states(int old_state, int new_state) {
    e_.old_state = static_cast<uint8_t>(old_state);
    e_.new_state = static_cast<uint8_t>(new_state);
    return *this;
  }
  // Retransmits and resets carry the socket's current state in both fields.
  EventBuilder& in_state(int state) { return states(state, state); }
  EventBuilder& at_ns(uint64_t ts_ns) {
    e_.ts_ns = ts_ns;
    return *this;
  }
  EventBuilder& flags(uint8_t f) {
    e_.flags = static_cast<uint8_t>(e_.flags | f);
    return *this;
  }
  EventBuilder& owner(uint32_t tgid, const char* comm) {
    e_.tgid = tgid;
    std::strncpy(e_.comm, comm, sizeof e_.comm);
    return flags(TS_F_OWNER_KNOWN);
  }
  EventBuilder& timing(uint64_t prev_state_ns, uint64_t lifetime_ns = 0) {
    e_.prev_state_ns = prev_state_ns;
    e_.lifetime_ns = lifetime_ns;
    return flags(TS_F_TIMING_KNOWN);
  }
  EventBuilder& cookie(uint64_t c) {
    e_.cookie = c;
    return *this;
  }
  EventBuilder& netns(uint32_t inode) {
    e_.netns = inode;
    return *this;
  }

  operator ts_event() const { return e_; }
  ts_event build() const { return e_; }

 private:
  ts_event e_{};
};

inline EventBuilder state_change(const Ends& ends, int old_state, int new_state) {
  return EventBuilder(TS_EV_STATE, ends).states(old_state, new_state);
}
inline EventBuilder flow_event(uint8_t kind, const Ends& ends, int state) {
  return EventBuilder(kind, ends).in_state(state);
}

// One snapshot record (iter/tcp).
inline ts_sock_record sock_record(int state, const Ends& ends) {
  ts_sock_record r{};
  const RawAddress l = raw_address(ends.local), rem = raw_address(ends.remote);
  r.family = l.family;
  std::memcpy(r.saddr, l.bytes, sizeof r.saddr);
  std::memcpy(r.daddr, rem.bytes, sizeof r.daddr);
  r.sport = ends.local_port;
  r.dport = ends.remote_port;
  r.state = static_cast<uint8_t>(state);
  return r;
}

inline ts_sock_record listener_record(const std::string& addr, uint16_t port, uint32_t syn_queue,
                                      uint32_t accept_queue, uint32_t max_backlog) {
  const std::string any = raw_address(addr).family == AF_INET ? "0.0.0.0" : "::";
  ts_sock_record r = sock_record(TS_LISTEN, {addr, port, any, 0});
  r.syn_queue = syn_queue;
  r.accept_queue = accept_queue;
  r.max_backlog = max_backlog;
  return r;
}

inline ts_sock_record time_wait_record(const Ends& ends, int32_t remaining_ms) {
  ts_sock_record r = sock_record(TS_TIME_WAIT, ends);
  r.time_wait_remaining_ms = remaining_ms;
  return r;
}

// One socket of a details pass (iter/tcp, bpf/socket_details.bpf.c). Listeners: recv_q is the
// accept queue and send_q the backlog, as ss shows them.
inline ts_sock_detail detail_record(int state, const Ends& ends, uint64_t cookie) {
  ts_sock_detail d{};
  const RawAddress l = raw_address(ends.local), rem = raw_address(ends.remote);
  d.family = l.family;
  std::memcpy(d.saddr, l.bytes, sizeof d.saddr);
  std::memcpy(d.daddr, rem.bytes, sizeof d.daddr);
  d.sport = ends.local_port;
  d.dport = ends.remote_port;
  d.state = static_cast<uint8_t>(state);
  d.cookie = cookie;
  d.full = state != TS_TIME_WAIT && state != TS_NEW_SYN_RECV;
  return d;
}

// One owner scan record (iter/task_file): process `tgid` holds socket `cookie` as `fd`.
inline ts_owner_record owner_record(uint64_t cookie, uint32_t tgid, const char* comm, uint32_t fd = 3,
                                    uint32_t tid = 0) {
  ts_owner_record r{};
  r.cookie = cookie;
  r.tgid = tgid;
  r.tid = tid ? tid : tgid;
  r.fd = fd;
  std::strncpy(r.comm, comm, sizeof r.comm);
  return r;
}

}  // namespace tcpsight::test
