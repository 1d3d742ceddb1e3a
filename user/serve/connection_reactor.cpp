#include "serve/connection_reactor.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace tcpsight {

namespace {

// The client's address without its port: the key its connections are counted under.
std::string address_key(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) {
    const auto& a = reinterpret_cast<const sockaddr_in&>(ss).sin_addr;
    return std::string(reinterpret_cast<const char*>(&a), sizeof a);
  }
  if (ss.ss_family == AF_INET6) {
    const auto& a = reinterpret_cast<const sockaddr_in6&>(ss).sin6_addr;
    return std::string(reinterpret_cast<const char*>(&a), sizeof a);
  }
  return {};
}

constexpr auto kScanEvery = std::chrono::milliseconds(100);

}  // namespace

bool has_request_head(const std::string& bytes) {
  return bytes.find("\r\n\r\n") != std::string::npos || bytes.find("\n\n") != std::string::npos;
}

bool AddressCounts::acquire(const std::string& address) {
  std::lock_guard lock(mutex_);
  size_t& n = counts_[address];
  if (n >= limits_.max_per_address || total_ >= limits_.max_connections) {
    if (n == 0) counts_.erase(address);
    return false;
  }
  ++n;
  ++total_;
  return true;
}

void AddressCounts::release(const std::string& address) {
  std::lock_guard lock(mutex_);
  const auto it = counts_.find(address);
  if (it == counts_.end()) return;
  if (--it->second == 0) counts_.erase(it);
  --total_;
}

size_t AddressCounts::total() const {
  std::lock_guard lock(mutex_);
  return total_;
}

HttpConnection::~HttpConnection() {
  if (fd_ < 0) return;
  if (ssl_ && SSL_is_init_finished(ssl_.get())) SSL_shutdown(ssl_.get());  // close_notify, not waiting for the peer's
  ssl_.reset();
  ERR_clear_error();  // OpenSSL's error queue is per thread: leave it empty for the next connection
  shutdown(fd_, SHUT_RDWR);
  close(fd_);
  if (counts_) counts_->release(address_);
}

HttpConnection::HttpConnection(HttpConnection&& o) noexcept
    : served(o.served), fd_(o.fd_), address_(std::move(o.address_)), counts_(o.counts_), ssl_(std::move(o.ssl_)),
      unread_(std::move(o.unread_)) {
  o.fd_ = -1;
  o.counts_ = nullptr;
}

ConnectionReactor::ConnectionReactor(int listen_fd, const HttpLimits& limits, TlsContext tls, Dispatch dispatch)
    : listen_fd_(listen_fd), limits_(limits), tls_(std::move(tls)), dispatch_(std::move(dispatch)), counts_(limits) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epoll_fd_ < 0 || wake_fd_ < 0) throw std::runtime_error(std::string("epoll/eventfd: ") + std::strerror(errno));
  epoll_event ev{.events = EPOLLIN, .data = {.fd = wake_fd_}};
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  ev.data.fd = listen_fd_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
}

ConnectionReactor::~ConnectionReactor() {
  slots_.clear();
  returned_.clear();
  close(epoll_fd_);
  close(wake_fd_);
}

void ConnectionReactor::stop() {
  stop_ = true;
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = write(wake_fd_, &one, sizeof one);
}

void ConnectionReactor::give_back(HttpConnection connection) {
  if (stop_) return;  // closed here
  {
    std::lock_guard lock(returned_mutex_);
    returned_.push_back(std::move(connection));
  }
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = write(wake_fd_, &one, sizeof one);
}

ConnectionReactor::Clock::time_point ConnectionReactor::after(double seconds, Clock::time_point now) const {
  return now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

void ConnectionReactor::watch(Slot& slot, uint32_t events) {
  if (slot.events == events) return;
  epoll_event ev{.events = events, .data = {.fd = slot.connection.fd()}};
  epoll_ctl(epoll_fd_, slot.events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, slot.connection.fd(), &ev);
  slot.events = events;
}

void ConnectionReactor::close_slot(int fd) {
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  slots_.erase(fd);
}

void ConnectionReactor::adopt(HttpConnection connection, Phase phase, Clock::time_point now) {
  const int fd = connection.fd();
  if (phase == Phase::idle && !connection.unread().empty()) phase = Phase::reading;  // a pipelined request
  const double wait = phase == Phase::idle ? limits_.keep_alive_timeout_s : limits_.stream.request_deadline_s;
  auto [it, added] = slots_.emplace(fd, Slot{std::move(connection), phase, after(wait, now)});
  if (!advance(it->second, now)) close_slot(fd);
}

void ConnectionReactor::accept_all(Clock::time_point now) {
  for (;;) {
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    const int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of fds: stop listening until the next scan rather than spin on the ready socket.
        epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
        listening_ = false;
      }
      return;  // EAGAIN: all taken; others (a client gone before accept) are its own business
    }
    const std::string key = address_key(peer);
    if (!counts_.acquire(key)) {
      close(fd);  // that address, or the server, holds its most connections already
      continue;
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    HttpConnection connection(fd, key, &counts_);
    if (tls_) {
      const std::shared_ptr<SSL_CTX> ctx = tls_();  // the certificates of this moment
      SSL* ssl = ctx ? SSL_new(ctx.get()) : nullptr;
      if (!ssl) continue;  // the web config does not load: refused (closed)
      connection.set_ssl(ssl);
      if (SSL_set_fd(ssl, fd) != 1) continue;
      SSL_set_accept_state(ssl);
    }
    // The handshake is part of the first request: it gets the request's deadline.
    adopt(std::move(connection), tls_ ? Phase::handshake : Phase::idle, now);
  }
}

bool ConnectionReactor::advance(Slot& slot, Clock::time_point now) {
  HttpConnection& c = slot.connection;
  if (slot.phase == Phase::handshake) {
    ERR_clear_error();  // SSL_get_error reads the thread's queue: it must hold only this call's errors
    const int r = SSL_do_handshake(c.ssl());
    if (r != 1) {
      const int err = SSL_get_error(c.ssl(), r);
      if (err == SSL_ERROR_WANT_READ) return watch(slot, EPOLLIN), true;
      if (err == SSL_ERROR_WANT_WRITE) return watch(slot, EPOLLOUT), true;
      return false;  // refused: a bad or missing client certificate, a protocol error, plain HTTP
    }
    slot.phase = Phase::idle;
    slot.deadline = after(limits_.keep_alive_timeout_s, now);
  }
  for (;;) {
    // A head too big goes to a worker too: httplib answers it 400 once the request's budget is spent.
    if (has_request_head(c.unread()) || c.unread().size() >= limits_.stream.max_request_bytes) {
      const int fd = c.fd();
      epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
      HttpConnection ready = std::move(c);
      slots_.erase(fd);  // `slot` is gone from here on
      dispatch_(std::move(ready));
      return true;
    }
    char chunk[4096];
    const size_t want = std::min(sizeof chunk, limits_.stream.max_request_bytes - c.unread().size());
    ssize_t n;
    if (c.ssl()) {
      ERR_clear_error();
      const int r = SSL_read(c.ssl(), chunk, static_cast<int>(want));
      if (r <= 0) {
        const int err = SSL_get_error(c.ssl(), r);
        if (err == SSL_ERROR_WANT_READ) return watch(slot, EPOLLIN), true;
        if (err == SSL_ERROR_WANT_WRITE) return watch(slot, EPOLLOUT), true;
        return false;
      }
      n = r;
    } else {
      n = recv(c.fd(), chunk, want, 0);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return watch(slot, EPOLLIN), true;
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;  // closed by the client, or an error
    }
    if (slot.phase == Phase::idle) {  // a request's first byte: its deadline starts now
      slot.phase = Phase::reading;
      slot.deadline = after(limits_.stream.request_deadline_s, now);
    }
    c.unread().append(chunk, static_cast<size_t>(n));
  }
}

void ConnectionReactor::expire(Clock::time_point now) {
  std::vector<int> late;
  for (const auto& [fd, slot] : slots_)
    if (slot.deadline <= now) late.push_back(fd);
  for (int fd : late) close_slot(fd);
  if (!listening_) {
    epoll_event ev{.events = EPOLLIN, .data = {.fd = listen_fd_}};
    listening_ = epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev) == 0;
  }
}

void ConnectionReactor::run() {
  epoll_event events[64];
  auto next_scan = Clock::now() + kScanEvery;
  while (!stop_) {
    const int n = epoll_wait(epoll_fd_, events, 64, static_cast<int>(kScanEvery.count()));
    const auto now = Clock::now();
    for (int i = 0; i < n && !stop_; ++i) {
      const int fd = events[i].data.fd;
      if (fd == listen_fd_) {
        accept_all(now);
      } else if (fd == wake_fd_) {
        uint64_t count;
        [[maybe_unused]] const ssize_t r = read(wake_fd_, &count, sizeof count);
        std::vector<HttpConnection> back;
        {
          std::lock_guard lock(returned_mutex_);
          back.swap(returned_);
        }
        for (HttpConnection& c : back) adopt(std::move(c), Phase::idle, now);
      } else if (const auto it = slots_.find(fd); it != slots_.end()) {
        if (!advance(it->second, now)) close_slot(fd);
      }
    }
    if (now >= next_scan) {
      expire(now);
      next_scan = now + kScanEvery;
    }
  }
  for (const auto& [fd, slot] : slots_) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  slots_.clear();
}

}  // namespace tcpsight
