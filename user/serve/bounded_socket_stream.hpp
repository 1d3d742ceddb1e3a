// One accepted HTTP connection as httplib reads and writes it, with limits httplib 0.11 lacks:
// each request may take at most `max_request_bytes` and `request_deadline_s` to arrive, so a
// client that streams endless headers or trickles them byte by byte costs bounded memory and time.
// Over TLS (an SSL on a non-blocking socket) the same limits hold, the handshake included.
#pragma once

#include <httplib.h>
#include <openssl/ssl.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

#include "serve/http_limits.hpp"

namespace tcpsight {

class BoundedSocketStream final : public httplib::Stream {
 public:
  // `ssl`, when given, is set up on `fd` (non-blocking) and not yet handshaken; it stays the caller's.
  BoundedSocketStream(int fd, const StreamLimits& limits, SSL* ssl = nullptr);

  // The TLS handshake, within the first request's deadline. False when it failed or took too long.
  bool handshake();
  // Sends TLS's close_notify, without waiting for the peer's.
  void close_tls();

  // Starts the budget (bytes and deadline) of the next request on this connection.
  void begin_request();
  // Waits up to `seconds` for the next request to start arriving; gives up early when `stop` says so.
  bool wait_for_request(double seconds, const std::function<bool()>& stop);

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
  // SSL_read/SSL_write/SSL_accept's result: true when waiting for the socket may help.
  bool wait_for_tls(int result, double seconds);
  // One read into buffer_ (at most `want` bytes), through TLS when there is TLS.
  ssize_t receive(size_t want);

  int fd_;
  SSL* ssl_;
  StreamLimits limits_;
  char buffer_[4096];
  size_t begin_ = 0, end_ = 0;  // unread bytes of buffer_
  size_t request_bytes_ = 0;
  Clock::time_point deadline_;
};

}  // namespace tcpsight
