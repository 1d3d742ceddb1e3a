// prefork_server: a pre-fork TCP server, as nginx, Apache or gunicorn are, for the integration tests.
//
// usage: prefork_server [--addr A] [--port P] [--children N] [--linger-ms M] [--max-seconds S]
//
// Listens on A:P (default 127.0.0.1, port 0: ephemeral) and prints "listening <port>". With
// --children N (default 2) it forks N children that accept() on the shared listener, the parent
// never accepting, and prints "children <pid>...". With --children 0 the process accepts itself and
// serves each connection on a thread of its own. Each connection: "accepted peer=<port> pid=<pid>",
// read until the client closes, wait M ms (default 0), close, "closed peer=<port> pid=<pid>". A
// child serves one connection at a time. Runs until SIGTERM/SIGINT or --max-seconds (default 60),
// then ends its children and exits 0; children also die with the parent. Exit 2 on bad usage, 1 on
// a socket error.
#include <poll.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "tool_support.hpp"

namespace {

constexpr const char* kUsage =
    "prefork_server [--addr A] [--port P] [--children N] [--linger-ms M] [--max-seconds S]";

struct Options {
  std::string addr = "127.0.0.1";
  uint16_t port = 0;
  int children = 2;
  double linger_ms = 0;
  double max_s = 60;
};

std::atomic<bool> stop{false};
void on_stop_signal(int) { stop = true; }

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) tool::usage("missing value for " + flag, kUsage);
    const char* value = argv[++i];
    if (flag == "--addr") o.addr = value;
    else if (flag == "--port") o.port = static_cast<uint16_t>(tool::number(flag, value, 0, 65535, kUsage));
    else if (flag == "--children") o.children = static_cast<int>(tool::number(flag, value, 0, 64, kUsage));
    else if (flag == "--linger-ms") o.linger_ms = tool::number(flag, value, 0, 60000, kUsage);
    else if (flag == "--max-seconds") o.max_s = tool::number(flag, value, 0.1, 3600, kUsage);
    else tool::usage("unknown option " + flag, kUsage);
  }
  return o;
}

void serve(int fd, double linger_ms) {
  const uint16_t peer = tool::peer_port(fd);
  tool::say("accepted peer=%u pid=%d", peer, getpid());
  tool::read_until_eof(fd);
  tool::sleep_ms(linger_ms);
  close(fd);
  tool::say("closed peer=%u pid=%d", peer, getpid());
}

// A child: accepts and serves one connection after another until it is killed.
[[noreturn]] void child_loop(int listener, double linger_ms) {
  tool::die_with_parent();
  for (;;) {
    const int fd = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      tool::fail("accept");
    }
    serve(fd, linger_ms);
  }
}

bool wait_readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, timeout_ms) > 0 && (p.revents & POLLIN);
}

}  // namespace

int main(int argc, char** argv) {
  tool::name = "prefork_server";
  const Options o = parse(argc, argv);
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);

  const int listener = tool::listen_on(tool::endpoint(o.addr, o.port, kUsage));
  tool::say("listening %u", tool::local_port(listener));

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(o.max_s);
  const auto running = [&] { return !stop && std::chrono::steady_clock::now() < deadline; };

  if (o.children == 0) {
    std::vector<std::thread> servers;
    while (running()) {
      if (!wait_readable(listener, 50)) continue;
      const int fd = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      servers.emplace_back(serve, fd, o.linger_ms);
    }
    // Connections still open end with the process.
    for (auto& t : servers) t.detach();
    return 0;
  }

  std::vector<pid_t> children;
  std::string pids;
  for (int i = 0; i < o.children; ++i) {
    const pid_t pid = fork();
    if (pid < 0) tool::fail("fork");
    if (pid == 0) child_loop(listener, o.linger_ms);
    children.push_back(pid);
    pids += " " + std::to_string(pid);
  }
  tool::say("children%s", pids.c_str());
  while (running()) tool::sleep_ms(20);
  for (const pid_t pid : children) kill(pid, SIGKILL);
  for (const pid_t pid : children) waitpid(pid, nullptr, 0);
  return 0;
}
