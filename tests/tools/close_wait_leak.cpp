// close_wait_leak: an application that never closes its accepted connections, for the drill-down
// tests: the client ends close, the server ends stay in CLOSE_WAIT, held by this process.
//
// usage: close_wait_leak [--count N] [--data BYTES] [--max-seconds S]
//
// Listens on 127.0.0.1 (ephemeral port) and prints "listening <port>", makes N connections to
// itself (default 50), accepts each, has the client send BYTES (default 0) and close, and keeps the
// server ends open and unread: they sit in CLOSE_WAIT with BYTES in Recv-Q. Prints "leaking N" and
// holds them until SIGTERM/SIGINT or --max-seconds (default 60), then exits 0. Exit 2 on bad usage,
// 1 on a socket error.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <csignal>
#include <string>
#include <vector>

#include "tool_support.hpp"

namespace {

constexpr const char* kUsage = "close_wait_leak [--count N] [--data BYTES] [--max-seconds S]";
volatile std::sig_atomic_t stop = 0;

}  // namespace

int main(int argc, char** argv) {
  tool::name = "close_wait_leak";
  tool::die_with_parent();
  long count = 50, data = 0;
  double max_s = 60;
  for (int i = 1; i < argc; i += 2) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) tool::usage("missing value for " + flag, kUsage);
    if (flag == "--count") count = static_cast<long>(tool::number(flag, argv[i + 1], 1, 10000, kUsage));
    else if (flag == "--data") data = static_cast<long>(tool::number(flag, argv[i + 1], 0, 60000, kUsage));
    else if (flag == "--max-seconds") max_s = tool::number(flag, argv[i + 1], 0.1, 3600, kUsage);
    else tool::usage("unknown flag " + flag, kUsage);
  }
  std::signal(SIGTERM, [](int) { stop = 1; });
  std::signal(SIGINT, [](int) { stop = 1; });

  const tool::Endpoint at = tool::endpoint("127.0.0.1", 0, kUsage);
  const int listener = tool::listen_on(at, static_cast<int>(count));
  const uint16_t port = tool::local_port(listener);
  tool::say("listening %u", port);
  const tool::Endpoint to = tool::endpoint("127.0.0.1", port, kUsage);
  const std::string payload(static_cast<size_t>(data), 'x');
  std::vector<int> leaked;
  for (long i = 0; i < count && !stop; ++i) {
    const int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (client < 0 || connect(client, reinterpret_cast<const sockaddr*>(&to.storage), to.length) != 0)
      tool::fail("connect");
    const int server = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (server < 0) tool::fail("accept");
    if (!payload.empty() && write(client, payload.data(), payload.size()) != static_cast<ssize_t>(payload.size()))
      tool::fail("write");
    close(client);  // the server end gets the FIN: CLOSE_WAIT, and this process never closes it
    leaked.push_back(server);
  }
  tool::say("leaking %zu", leaked.size());
  for (double waited = 0; waited < max_s && !stop; waited += 0.05) tool::sleep_ms(50);
  for (int fd : leaked) close(fd);
  close(listener);
  return 0;
}
