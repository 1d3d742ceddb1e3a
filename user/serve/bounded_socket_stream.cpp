#include "serve/bounded_socket_stream.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
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

constexpr size_t kReadChunk = 4096;

}  // namespace

BoundedSocketStream::BoundedSocketStream(int fd, const StreamLimits& limits, SSL* ssl, std::string unread)
    : fd_(fd), ssl_(ssl), limits_(limits), buffer_(std::move(unread)) {
  begin_request();
}

void BoundedSocketStream::begin_request() {
  request_bytes_ = buffer_.size() - begin_;  // bytes of this request already read
  deadline_ = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(limits_.request_deadline_s));
}

std::string BoundedSocketStream::take_unread() {
  std::string rest = buffer_.substr(begin_);
  buffer_.clear();
  begin_ = 0;
  return rest;
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

bool BoundedSocketStream::wait_for_tls(int result, double seconds) {
  switch (SSL_get_error(ssl_, result)) {
    case SSL_ERROR_WANT_READ: return wait(POLLIN, seconds);
    case SSL_ERROR_WANT_WRITE: return wait(POLLOUT, seconds);
    default: return false;  // closed, or a protocol error
  }
}

bool BoundedSocketStream::is_readable() const {
  return begin_ < buffer_.size() || (ssl_ && SSL_pending(ssl_) > 0) ||
         wait(POLLIN, std::min(limits_.read_timeout_s, seconds_to_deadline()));
}

bool BoundedSocketStream::is_writable() const { return wait(POLLOUT, limits_.write_timeout_s); }

ssize_t BoundedSocketStream::receive(size_t want) {
  char chunk[kReadChunk];
  want = std::min(want, sizeof chunk);
  for (;;) {
    const double patience = std::min(limits_.read_timeout_s, seconds_to_deadline());
    ssize_t n;
    if (ssl_) {
      // A TLS record may arrive in pieces: wait for the rest within the same limits.
      ERR_clear_error();  // SSL_get_error reads the thread's queue: it must hold only this call's errors
      const int r = SSL_read(ssl_, chunk, static_cast<int>(want));
      if (r <= 0) {
        if (SSL_get_error(ssl_, r) == SSL_ERROR_ZERO_RETURN) return 0;
        if (!wait_for_tls(r, patience)) return -1;
        continue;
      }
      n = r;
    } else {
      if (!wait(POLLIN, patience)) return -1;
      n = recv(fd_, chunk, want, MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
        return -1;
      }
      if (n == 0) return 0;
    }
    buffer_.erase(0, begin_);
    begin_ = 0;
    buffer_.append(chunk, static_cast<size_t>(n));
    request_bytes_ += static_cast<size_t>(n);
    return n;
  }
}

ssize_t BoundedSocketStream::read(char* ptr, size_t size) {
  if (begin_ == buffer_.size()) {
    if (request_bytes_ >= limits_.max_request_bytes || seconds_to_deadline() <= 0) return -1;
    const ssize_t n = receive(limits_.max_request_bytes - request_bytes_);
    if (n <= 0) return n;
  }
  const size_t n = std::min(size, buffer_.size() - begin_);
  std::memcpy(ptr, buffer_.data() + begin_, n);
  begin_ += n;
  return static_cast<ssize_t>(n);
}

ssize_t BoundedSocketStream::write(const char* ptr, size_t size) {
  for (;;) {
    if (ssl_) {
      ERR_clear_error();
      const int r = SSL_write(ssl_, ptr, static_cast<int>(std::min<size_t>(size, 1 << 30)));
      if (r > 0) return r;
      if (!wait_for_tls(r, limits_.write_timeout_s)) return -1;
      continue;
    }
    const ssize_t n = send(fd_, ptr, size, MSG_NOSIGNAL);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    if ((errno == EAGAIN || errno == EWOULDBLOCK) && wait(POLLOUT, limits_.write_timeout_s)) continue;
    return -1;
  }
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
