// Synthetic kernel input for the `top` unit tests: snapshot records and events built from text.
#pragma once

#include <sys/socket.h>

#include <cstring>
#include <string>

#include "core/address.hpp"
#include "tcpsight/abi.h"

namespace tcpsight::top_test {

inline IpAddress addr(const std::string& text) { return *parse_address(text); }

inline ts_sock_record record(int state, const std::string& local, uint16_t lport, const std::string& remote = "0.0.0.0",
                             uint16_t rport = 0) {
  ts_sock_record r{};
  const IpAddress l = addr(local), rem = addr(remote);
  r.family = l.family;
  std::memcpy(r.saddr, l.bytes.data(), sizeof r.saddr);
  std::memcpy(r.daddr, rem.bytes.data(), sizeof r.daddr);
  r.sport = lport;
  r.dport = rport;
  r.state = static_cast<uint8_t>(state);
  return r;
}

inline ts_sock_record listener(const std::string& local, uint16_t port, uint32_t syn_queue, uint32_t accept_queue,
                               uint32_t backlog) {
  ts_sock_record r = record(TS_LISTEN, local, port);
  r.syn_queue = syn_queue;
  r.accept_queue = accept_queue;
  r.max_backlog = backlog;
  return r;
}

inline ts_sock_record time_wait(const std::string& local, uint16_t lport, const std::string& remote, uint16_t rport,
                                int32_t remaining_ms) {
  ts_sock_record r = record(TS_TIME_WAIT, local, lport, remote, rport);
  r.time_wait_remaining_ms = remaining_ms;
  return r;
}

inline ts_event event(int kind, const std::string& local, uint16_t lport, const std::string& remote, uint16_t rport,
                      int state, uint64_t ts_ns) {
  ts_event e{};
  const IpAddress l = addr(local), rem = addr(remote);
  e.kind = static_cast<uint8_t>(kind);
  e.family = l.family;
  std::memcpy(e.saddr, l.bytes.data(), sizeof e.saddr);
  std::memcpy(e.daddr, rem.bytes.data(), sizeof e.daddr);
  e.sport = lport;
  e.dport = rport;
  e.old_state = e.new_state = static_cast<uint8_t>(state);
  e.ts_ns = ts_ns;
  return e;
}

}  // namespace tcpsight::top_test
