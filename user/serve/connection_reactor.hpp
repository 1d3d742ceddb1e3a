// One thread that holds every HTTP connection between requests: it accepts, runs TLS handshakes and
// reads each request's head, all non-blocking. Only a connection whose whole request head has come
// goes to a worker, which answers it and gives the connection back. An idle or slow client costs a
// few hundred bytes here, never a worker, so a handful of them cannot starve the scrapers:
//   - a request's head must come within request_deadline_s of its first byte (not per read), and
//     bring at most max_request_bytes;
//   - a connection with no request under way is closed after keep_alive_timeout_s;
//   - at most max_connections at once, and max_per_address from one client address.
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "serve/http_limits.hpp"

namespace tcpsight {

// How many connections each client address holds; shared by the reactor and the workers.
class AddressCounts {
 public:
  explicit AddressCounts(const HttpLimits& limits) : limits_(limits) {}
  bool acquire(const std::string& address);  // false when the address or the server is full
  void release(const std::string& address);
  size_t total() const;

 private:
  HttpLimits limits_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, size_t> counts_;
  size_t total_ = 0;
};

// An accepted connection; closing it (the destructor) gives its address's place back.
class HttpConnection {
 public:
  HttpConnection(int fd, std::string address, AddressCounts* counts) : fd_(fd), address_(std::move(address)), counts_(counts) {}
  ~HttpConnection();
  HttpConnection(HttpConnection&& o) noexcept;
  HttpConnection& operator=(HttpConnection&&) = delete;
  HttpConnection(const HttpConnection&) = delete;

  int fd() const { return fd_; }
  SSL* ssl() const { return ssl_.get(); }
  void set_ssl(SSL* ssl) { ssl_.reset(ssl); }
  std::string& unread() { return unread_; }  // read, not yet answered
  size_t served = 0;                         // requests answered on it

 private:
  struct SslFree {
    void operator()(SSL* s) const { SSL_free(s); }
  };
  int fd_;
  std::string address_;
  AddressCounts* counts_;
  std::unique_ptr<SSL, SslFree> ssl_;
  std::string unread_;
};

class ConnectionReactor {
 public:
  using Clock = std::chrono::steady_clock;
  // A connection whose request head is complete; called on the reactor thread, must not block.
  using Dispatch = std::function<void(HttpConnection)>;
  // The TLS context for a new connection (null to refuse it); an empty function: plain HTTP.
  using TlsContext = std::function<std::shared_ptr<SSL_CTX>()>;

  ConnectionReactor(int listen_fd, const HttpLimits& limits, TlsContext tls, Dispatch dispatch);
  ~ConnectionReactor();
  ConnectionReactor(const ConnectionReactor&) = delete;
  ConnectionReactor& operator=(const ConnectionReactor&) = delete;

  // Runs until stop(); the connections it holds are closed when it returns.
  void run();
  // From any thread, also before run().
  void stop();
  bool stopping() const { return stop_; }
  // From a worker, after an answer that keeps the connection open.
  void give_back(HttpConnection connection);

 private:
  enum class Phase { handshake, idle, reading };
  struct Slot {
    HttpConnection connection;
    Phase phase;
    Clock::time_point deadline;
    uint32_t events = 0;
  };
  void accept_all(Clock::time_point now);
  void watch(Slot& slot, uint32_t events);
  void adopt(HttpConnection connection, Phase phase, Clock::time_point now);
  // Handshakes and reads as far as the socket allows; false when the connection is done with.
  bool advance(Slot& slot, Clock::time_point now);
  void expire(Clock::time_point now);
  void close_slot(int fd);
  Clock::time_point after(double seconds, Clock::time_point now) const;

  int listen_fd_;
  HttpLimits limits_;
  TlsContext tls_;
  Dispatch dispatch_;
  AddressCounts counts_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  bool listening_ = true;  // false for a moment after accept() ran out of fds
  std::atomic<bool> stop_{false};
  std::unordered_map<int, Slot> slots_;
  std::mutex returned_mutex_;
  std::vector<HttpConnection> returned_;
};

// Whether `bytes` hold a whole request head (the empty line after the headers).
bool has_request_head(const std::string& bytes);

}  // namespace tcpsight
