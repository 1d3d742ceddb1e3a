// What a selectable row of `tcpsight top` stands for, and which sockets Enter lists for it: a
// state's sockets, a listener's (it and its children), a flow's, a process's. Rows carry it as a
// key string (Span::key), so that the highlight survives a refresh.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/address.hpp"
#include "core/socket_rows.hpp"
#include "top/glyphs.hpp"

namespace tcpsight {

struct DrillQuery {
  enum class Kind : uint8_t { State, Transition, Listener, Flow, Process, Socket };
  Kind kind = Kind::State;
  int state = 0;  // State; Transition: the state it leads to
  int from = 0;   // Transition
  bool after_reset = false;
  IpAddress local, remote;                 // Listener (local), Flow
  uint16_t local_port = 0, remote_port = 0;
  uint32_t tgid = 0;    // Process (0: the sockets no process holds)
  uint64_t cookie = 0;  // Socket

  static DrillQuery of_state(int state);
  static DrillQuery of_transition(int from, int to, bool after_reset);
  static DrillQuery of_listener(const IpAddress& addr, uint16_t port);
  static DrillQuery of_flow(const IpAddress& local, uint16_t local_port, const IpAddress& remote, uint16_t remote_port);
  static DrillQuery of_process(uint32_t tgid);
  static DrillQuery of_socket(uint64_t cookie);

  std::string key() const;
  static std::optional<DrillQuery> parse(std::string_view key);

  // Whether the socket is one this query lists. Transition: the sockets now in the state it
  // leads to (closed sockets are gone).
  bool matches(const SocketRow& s) const;
  // "sockets in CLOSE_WAIT", "listener 0.0.0.0:80 and its connections", ...
  std::string title(const Glyphs& g) const;
  // The sockets it asked for cannot exist any more (->CLOSE).
  bool closed() const { return kind == Kind::Transition && state == TS_CLOSE; }
};

}  // namespace tcpsight
