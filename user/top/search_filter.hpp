// What `/` searches for in every list of `tcpsight top`: a port (digits), a TCP state (any
// spelling ss or the kernel uses), an address, else text found in an endpoint or a process name.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/address.hpp"
#include "core/socket_rows.hpp"

namespace tcpsight {

class SearchFilter {
 public:
  explicit SearchFilter(std::string_view text);

  bool empty() const { return text_.empty(); }
  const std::string& text() const { return text_; }
  // The port searched for, when the text is one.
  std::optional<uint16_t> port() const { return port_; }

  // A connection or socket: by its ports, state, addresses, or its holder's pid or name.
  bool matches(const IpAddress& local, uint16_t local_port, const IpAddress& remote, uint16_t remote_port, int state,
               uint32_t tgid, std::string_view comm) const;
  bool matches(const SocketRow& s) const;
  // A process: by pid, name, a port it listens on, or a state one of its sockets is in.
  bool matches(const ProcessRow& p) const;
  // A listener: by address and port (a state search: LISTEN).
  bool matches_endpoint(const IpAddress& addr, uint16_t port) const;

 private:
  bool text_in(std::string_view haystack) const;

  std::string text_;   // as typed, trimmed
  std::string lower_;  // lower case, for names
  std::optional<uint16_t> port_;
  std::optional<uint32_t> number_;  // digits: a port (when one fits) or a pid
  std::optional<int> state_;
  std::optional<IpAddress> address_;
};

}  // namespace tcpsight
