// fd_passer: a process that accepts TCP connections and passes each one's fd to another process
// over a Unix socket (SCM_RIGHTS), for the integration tests.
//
// usage: fd_passer [--addr A] [--linger-ms M] [--max-seconds S]
//
// Process A listens on A (default 127.0.0.1, an ephemeral port), prints "listening <port>", forks
// process B and prints "receiver <pid of B>". For each connection A prints "accepted peer=<port>
// pid=<A>", sends the fd to B, closes its own copy and prints "passed peer=<port> to=<B>". B prints
// "received peer=<port> pid=<B>", reads until the client closes, waits M ms (default 0), closes it
// and prints "closed peer=<port> pid=<B>"; it serves one connection at a time. Runs until
// SIGTERM/SIGINT or --max-seconds (default 60); B dies with A. Exit 2 on bad usage, 1 on an error.
#include <poll.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>

#include "tool_support.hpp"

namespace {

constexpr const char* kUsage = "fd_passer [--addr A] [--linger-ms M] [--max-seconds S]";

std::atomic<bool> stop{false};
void on_stop_signal(int) { stop = true; }

void send_fd(int channel, int fd, uint16_t peer) {
  char control[CMSG_SPACE(sizeof(int))] = {};
  iovec iov{&peer, sizeof peer};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  if (sendmsg(channel, &msg, 0) != static_cast<ssize_t>(sizeof peer)) tool::fail("sendmsg");
}

// The fd received, or -1 when A has gone.
int receive_fd(int channel, uint16_t& peer) {
  char control[CMSG_SPACE(sizeof(int))] = {};
  iovec iov{&peer, sizeof peer};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  const ssize_t n = recvmsg(channel, &msg, MSG_CMSG_CLOEXEC);
  if (n <= 0) return -1;
  const cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_type != SCM_RIGHTS) return -1;
  int fd = -1;
  std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

[[noreturn]] void receiver(int channel, double linger_ms) {
  tool::die_with_parent();
  for (;;) {
    uint16_t peer = 0;
    const int fd = receive_fd(channel, peer);
    if (fd < 0) std::_Exit(0);
    tool::say("received peer=%u pid=%d", peer, getpid());
    tool::read_until_eof(fd);
    tool::sleep_ms(linger_ms);
    close(fd);
    tool::say("closed peer=%u pid=%d", peer, getpid());
  }
}

}  // namespace

int main(int argc, char** argv) {
  tool::name = "fd_passer";
  std::string addr = "127.0.0.1";
  double linger_ms = 0, max_s = 60;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) tool::usage("missing value for " + flag, kUsage);
    const char* value = argv[++i];
    if (flag == "--addr") addr = value;
    else if (flag == "--linger-ms") linger_ms = tool::number(flag, value, 0, 60000, kUsage);
    else if (flag == "--max-seconds") max_s = tool::number(flag, value, 0.1, 3600, kUsage);
    else tool::usage("unknown option " + flag, kUsage);
  }
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);

  const int listener = tool::listen_on(tool::endpoint(addr, 0, kUsage));
  tool::say("listening %u", tool::local_port(listener));
  int channel[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, channel) != 0) tool::fail("socketpair");
  const pid_t b = fork();
  if (b < 0) tool::fail("fork");
  if (b == 0) {
    close(listener);
    close(channel[0]);
    receiver(channel[1], linger_ms);
  }
  close(channel[1]);
  tool::say("receiver %d", b);

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(max_s);
  while (!stop && std::chrono::steady_clock::now() < deadline) {
    pollfd p{listener, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    const int fd = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    const uint16_t peer = tool::peer_port(fd);
    tool::say("accepted peer=%u pid=%d", peer, getpid());
    send_fd(channel[0], fd, peer);
    close(fd);
    tool::say("passed peer=%u to=%d", peer, b);
  }
  close(channel[0]);
  kill(b, SIGKILL);
  waitpid(b, nullptr, 0);
  return 0;
}
