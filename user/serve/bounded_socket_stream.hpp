// One request of an HTTP connection as httplib reads and writes it, with limits httplib 0.11
// lacks: a request may bring at most `max_request_bytes` and must arrive within
// `request_deadline_s`, so a client that streams endless headers or trickles them byte by byte
// costs bounded memory and time. The socket is non-blocking (the ConnectionReactor's); over TLS the
// SSL is already handshaken. The request's head usually arrives first, read by the reactor.
#pragma once

#include <httplib.h>
#include <openssl/ssl.h>

#include <chrono>
#include <cstddef>
#include <string>

#include "serve/http_limits.hpp"

namespace tcpsight {

class BoundedSocketStream final : public httplib::Stream {
 public:
  // `unread`: bytes of this connection already read (the request's head, perhaps more).
  BoundedSocketStream(int fd, const StreamLimits& limits, SSL* ssl = nullptr, std::string unread = {});

  // Starts the budget (bytes and deadline) of the next request on this connection.
  void begin_request();
  // Bytes read from the connection and not yet consumed (the start of a pipelined next request).
  std::string take_unread();

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return fd_; }

 private:
  using Clock = std::chrono::steady_clock;
  // Waits up to `seconds` for `events` on the socket.
  bool wait(short events, double seconds) const;
  double seconds_to_deadline() const;
  // SSL_read/SSL_write's result: true when waiting for the socket may help.
  bool wait_for_tls(int result, double seconds);
  // One read into buffer_ (at most `want` bytes), through TLS when there is TLS.
  ssize_t receive(size_t want);

  int fd_;
  SSL* ssl_;
  StreamLimits limits_;
  std::string buffer_;  // unread bytes from begin_
  size_t begin_ = 0;
  size_t request_bytes_ = 0;
  Clock::time_point deadline_;
};

}  // namespace tcpsight
