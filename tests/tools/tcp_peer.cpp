// tcp_peer: bounded TCP traffic between two ends in one process, for the integration tests.
//
// usage: tcp_peer [--addr A] [--port P] [--count N] [--close client|server|reset]
//                 [--hold SECONDS] [--max-seconds S] [--comm NAME]
//
// Listens on A:P (default 127.0.0.1, port 0: ephemeral) and prints "listening <port>", then makes N
// connections (default 1) to it one after another, accepting each. Without --hold each connection is
// closed right after it is made; with --hold all N stay open (ESTABLISHED) that long, then are closed.
// --close says who closes first: client (the client socket ends in TIME_WAIT), server (the server's
// does), reset (the client aborts with a RST). Prints "done <connections made>" and exits 0.
// --comm: the process names itself NAME first (prctl PR_SET_NAME; the kernel keeps 15 bytes), e.g. a
// hostile name full of terminal escapes, to see how tcpsight shows it.
// Bounded: stops making connections after --max-seconds (default 60) or on SIGTERM/SIGINT, and still
// closes what it opened. Exit 2 on bad usage, 1 on a socket error. Run it in a namespace with
// `ip netns exec NS tcp_peer ...` (or the harness's SpawnOptions::netns).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tool_support.hpp"

namespace {

enum class CloseMode { client, server, reset };

struct Options {
  std::string addr = "127.0.0.1";
  uint16_t port = 0;
  long count = 1;
  CloseMode close = CloseMode::client;
  double hold_s = 0;
  double max_s = 60;
  std::string comm;  // empty: the name exec gave
};

std::atomic<bool> stop{false};

constexpr const char* kUsageText =
    "tcp_peer [--addr A] [--port P] [--count N] [--close client|server|reset] [--hold SECONDS] [--max-seconds S] [--comm NAME]";

[[noreturn]] void usage(const std::string& why) { tool::usage(why, kUsageText); }

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "tcp_peer: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

double number(const std::string& flag, const char* text, double min, double max) {
  char* end = nullptr;
  const double v = std::strtod(text, &end);
  if (!end || *end || v < min || v > max) usage("bad value for " + flag + ": " + text);
  return v;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) usage("missing value for " + flag);
    const char* value = argv[++i];
    if (flag == "--addr") o.addr = value;
    else if (flag == "--port") o.port = static_cast<uint16_t>(number(flag, value, 0, 65535));
    else if (flag == "--count") o.count = static_cast<long>(number(flag, value, 1, 1e6));
    else if (flag == "--hold") o.hold_s = number(flag, value, 0, 3600);
    else if (flag == "--max-seconds") o.max_s = number(flag, value, 0.1, 3600);
    else if (flag == "--comm") o.comm = value;
    else if (flag == "--close") {
      const std::string v = value;
      if (v == "client") o.close = CloseMode::client;
      else if (v == "server") o.close = CloseMode::server;
      else if (v == "reset") o.close = CloseMode::reset;
      else usage("--close is client, server or reset, not " + v);
    } else {
      usage("unknown option " + flag);
    }
  }
  return o;
}

using tool::Endpoint;

Endpoint endpoint(const std::string& addr, uint16_t port) { return tool::endpoint(addr, port, kUsageText); }

uint16_t port_of(int fd) {
  sockaddr_storage s{};
  socklen_t len = sizeof s;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&s), &len) != 0) fail("getsockname");
  return ntohs(s.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&s)->sin6_port
                                       : reinterpret_cast<sockaddr_in*>(&s)->sin_port);
}

void drain_until_closed(int fd) {
  char buf[256];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n == 0 || (n < 0 && errno != EINTR)) return;
  }
}

// Closes one connection (client fd, server fd) in the requested order.
void close_pair(int client, int server, CloseMode mode) {
  switch (mode) {
    case CloseMode::client:
      close(client);
      drain_until_closed(server);
      close(server);
      break;
    case CloseMode::server:
      close(server);
      drain_until_closed(client);
      close(client);
      break;
    case CloseMode::reset: {
      const linger l{1, 0};
      setsockopt(client, SOL_SOCKET, SO_LINGER, &l, sizeof l);
      close(client);
      drain_until_closed(server);
      close(server);
      break;
    }
  }
}

void on_stop_signal(int) { stop = true; }

}  // namespace

int main(int argc, char** argv) {
  tool::name = "tcp_peer";
  const Options o = parse(argc, argv);
  if (!o.comm.empty() && prctl(PR_SET_NAME, o.comm.c_str()) != 0) fail("prctl PR_SET_NAME");
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);

  const Endpoint listen_at = endpoint(o.addr, o.port);
  const int listener = socket(listen_at.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0) fail("socket");
  const int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(listener, reinterpret_cast<const sockaddr*>(&listen_at.storage), listen_at.length) != 0) fail("bind");
  if (listen(listener, 4096) != 0) fail("listen");
  const uint16_t port = port_of(listener);
  std::printf("listening %u\n", port);
  std::fflush(stdout);

  const Endpoint target = endpoint(o.addr, port);
  using Clock = std::chrono::steady_clock;
  const auto after = [](double seconds) {
    return Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  };
  const Clock::time_point deadline = after(o.max_s);
  std::vector<std::pair<int, int>> open_pairs;
  long made = 0;
  for (; made < o.count && !stop && Clock::now() < deadline; ++made) {
    const int client = socket(target.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (client < 0) fail("socket");
    if (connect(client, reinterpret_cast<const sockaddr*>(&target.storage), target.length) != 0) fail("connect");
    const int server = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (server < 0) fail("accept");
    if (o.hold_s > 0) open_pairs.emplace_back(client, server);
    else close_pair(client, server, o.close);
  }
  if (o.hold_s > 0) {
    const Clock::time_point hold_until = std::min(deadline, after(o.hold_s));
    while (!stop && Clock::now() < hold_until) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    for (const auto& [client, server] : open_pairs) close_pair(client, server, o.close);
  }
  close(listener);
  std::printf("done %ld\n", made);
  return 0;
}
