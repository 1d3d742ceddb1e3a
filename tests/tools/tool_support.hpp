// Small helpers shared by the test tools in this directory (each tool is one executable).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace tool {

inline const char* name = "tool";

[[noreturn]] inline void fail(const std::string& what) {
  std::fprintf(stderr, "%s: %s: %s\n", name, what.c_str(), std::strerror(errno));
  std::_Exit(1);
}

[[noreturn]] inline void usage(const std::string& why, const char* text) {
  std::fprintf(stderr, "%s: %s\nusage: %s\n", name, why.c_str(), text);
  std::exit(2);
}

// One line on stdout in one write(2): lines of processes sharing a pipe never interleave.
inline void say(const char* format, ...) {
  char line[512];
  va_list args;
  va_start(args, format);
  const int n = std::vsnprintf(line, sizeof line - 1, format, args);
  va_end(args);
  if (n <= 0) return;
  size_t len = std::min(static_cast<size_t>(n), sizeof line - 2);
  line[len++] = '\n';
  if (write(STDOUT_FILENO, line, len) < 0) std::_Exit(1);
}

inline double number(const std::string& flag, const char* text, double min, double max, const char* usage_text) {
  char* end = nullptr;
  const double v = std::strtod(text, &end);
  if (!end || *end || v < min || v > max) usage("bad value for " + flag + ": " + text, usage_text);
  return v;
}

struct Endpoint {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_INET;
};

inline Endpoint endpoint(const std::string& addr, uint16_t port, const char* usage_text) {
  Endpoint e;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&e.storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&e.storage);
  if (inet_pton(AF_INET, addr.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    e.length = sizeof *v4;
  } else if (inet_pton(AF_INET6, addr.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    e.length = sizeof *v6;
    e.family = AF_INET6;
  } else {
    usage("not an IP address: " + addr, usage_text);
  }
  return e;
}

inline uint16_t port_of(const sockaddr_storage& s) {
  return ntohs(s.ss_family == AF_INET6 ? reinterpret_cast<const sockaddr_in6*>(&s)->sin6_port
                                       : reinterpret_cast<const sockaddr_in*>(&s)->sin_port);
}

inline uint16_t local_port(int fd) {
  sockaddr_storage s{};
  socklen_t len = sizeof s;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&s), &len) != 0) fail("getsockname");
  return port_of(s);
}

inline uint16_t peer_port(int fd) {
  sockaddr_storage s{};
  socklen_t len = sizeof s;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&s), &len) != 0) return 0;
  return port_of(s);
}

inline int listen_on(const Endpoint& at, int backlog = 128) {
  const int fd = socket(at.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket");
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&at.storage), at.length) != 0) fail("bind");
  if (listen(fd, backlog) != 0) fail("listen");
  return fd;
}

// Reads and discards until the peer closes (or an error).
inline void read_until_eof(int fd) {
  char buf[256];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n == 0 || (n < 0 && errno != EINTR)) return;
  }
}

inline void sleep_ms(double ms) {
  if (ms <= 0) return;
  timespec ts{static_cast<time_t>(ms / 1000), static_cast<long>(static_cast<long long>(ms * 1e6) % 1000000000LL)};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

// Dies with the parent: a tool's children never outlive it.
inline void die_with_parent() {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() == 1) std::_Exit(1);
}

}  // namespace tool
