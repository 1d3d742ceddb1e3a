#include "serve/bounded_socket_stream.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace tcpsight {

namespace {

void endpoint_of(const sockaddr_storage& ss, std::string& ip, int& port) {
  char text[INET6_ADDRSTRLEN] = "";
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
    port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
    port = ntohs(a->sin6_port);
  }
  ip = text;
}

}  // namespace

BoundedSocketStream::BoundedSocketStream(int fd, const StreamLimits& limits, SSL* ssl)
    : fd_(fd), ssl_(ssl), limits_(limits) {
  begin_request();
}

bool BoundedSocketStream::wait_for_tls(int result, double seconds) {
  switch (SSL_get_error(ssl_, result)) {
    case SSL_ERROR_WANT_READ: return wait(POLLIN, seconds);
    case SSL_ERROR_WANT_WRITE: return wait(POLLOUT, seconds);
    default: return false;  // closed, a protocol error or a refused certificate
  }
}

bool BoundedSocketStream::handshake() {
  for (;;) {
    const int r = SSL_accept(ssl_);
    if (r == 1) return true;
    if (!wait_for_tls(r, seconds_to_deadline())) return false;
  }
}

void BoundedSocketStream::close_tls() {
  if (ssl_) SSL_shutdown(ssl_);  // non-blocking: one try
}

void BoundedSocketStream::begin_request() {
  request_bytes_ = end_ - begin_;  // bytes of this request already read with the previous one
  deadline_ = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(limits_.request_deadline_s));
}

double BoundedSocketStream::seconds_to_deadline() const {
  return std::chrono::duration<double>(deadline_ - Clock::now()).count();
}

bool BoundedSocketStream::wait(short events, double seconds) const {
  const auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  for (;;) {
    const double left = std::chrono::duration<double>(until - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd_, events, 0};
    const int ready = poll(&p, 1, static_cast<int>(left * 1000) + 1);
    if (ready > 0) return true;  // also on hang-up or error: the next read or write reports it
    if (ready < 0 && errno != EINTR) return false;
  }
}

bool BoundedSocketStream::wait_for_request(double seconds, const std::function<bool()>& stop) {
  if (begin_ < end_ || (ssl_ && SSL_pending(ssl_) > 0)) return true;
  const auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  while (!stop()) {
    const double left = std::chrono::duration<double>(until - Clock::now()).count();
    if (left <= 0) return false;
    if (wait(POLLIN, std::min(left, 0.1))) return true;
  }
  return false;
}

bool BoundedSocketStream::is_readable() const {
  return begin_ < end_ || (ssl_ && SSL_pending(ssl_) > 0) ||
         wait(POLLIN, std::min(limits_.read_timeout_s, seconds_to_deadline()));
}

bool BoundedSocketStream::is_writable() const { return wait(POLLOUT, limits_.write_timeout_s); }

ssize_t BoundedSocketStream::read(char* ptr, size_t size) {
  if (begin_ == end_) {
    if (request_bytes_ >= limits_.max_request_bytes || !is_readable()) return -1;
    const size_t want = std::min(sizeof buffer_, limits_.max_request_bytes - request_bytes_);
    const ssize_t n = receive(want);
    if (n <= 0) return n;
    begin_ = 0;
    end_ = static_cast<size_t>(n);
    request_bytes_ += end_;
  }
  const size_t n = std::min(size, end_ - begin_);
  std::memcpy(ptr, buffer_ + begin_, n);
  begin_ += n;
  return static_cast<ssize_t>(n);
}

ssize_t BoundedSocketStream::receive(size_t want) {
  ssize_t n;
  if (ssl_) {
    // A TLS record may arrive in pieces: wait for the rest within the same limits.
    for (;;) {
      const int r = SSL_read(ssl_, buffer_, static_cast<int>(want));
      if (r > 0) return r;
      if (SSL_get_error(ssl_, r) == SSL_ERROR_ZERO_RETURN) return 0;
      if (!wait_for_tls(r, std::min(limits_.read_timeout_s, seconds_to_deadline()))) return -1;
    }
  }
  do {
    n = recv(fd_, buffer_, want, 0);
  } while (n < 0 && errno == EINTR);
  return n;
}

ssize_t BoundedSocketStream::write(const char* ptr, size_t size) {
  if (!is_writable()) return -1;
  if (ssl_) {
    for (;;) {
      const int r = SSL_write(ssl_, ptr, static_cast<int>(std::min<size_t>(size, 1 << 30)));
      if (r > 0) return r;
      if (!wait_for_tls(r, limits_.write_timeout_s)) return -1;
    }
  }
  ssize_t n;
  do {
    n = send(fd_, ptr, size, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return n;
}

void BoundedSocketStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getpeername(fd_, reinterpret_cast<sockaddr*>(&ss), &len) == 0) endpoint_of(ss, ip, port);
}

void BoundedSocketStream::get_local_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) == 0) endpoint_of(ss, ip, port);
}

}  // namespace tcpsight
