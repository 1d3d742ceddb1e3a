// serve's HTTP side: one connection per input, carrying the input's bytes and then the client's
// half-close, through MetricsServer's own per-connection loop (BoundedSocketStream, httplib's
// request parsing, the routes) on a socketpair, with a stub scrape cache. No crash, the server
// closes the connection, and whatever it sends starts as an HTTP/1.1 response.
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "serve/metrics_server.hpp"
#include "serve/scrape_cache.hpp"
#include "serve/scrape_input.hpp"

namespace {

using namespace tcpsight;

// A listener with a full accept queue and a client socket: every family of series has a line.
ScrapeInput stub_input() {
  ts_sock_record listener{}, client{};
  listener.family = client.family = 2;  // AF_INET
  listener.saddr[0] = client.saddr[0] = client.daddr[0] = 127;
  listener.saddr[3] = client.saddr[3] = client.daddr[3] = 1;
  listener.sport = client.dport = 9977;
  listener.state = TS_LISTEN;
  listener.accept_queue = 5, listener.max_backlog = 4;
  client.sport = 40000;
  client.state = TS_ESTABLISHED;
  const ts_sock_record records[] = {listener, client};
  ScrapeInput in = assemble_scrape(ts_counters{}, records, {{"TcpExt.ListenOverflows", 3}},
                                   {PortRange{32768, 60999}, 262144}, SeriesCaps{});
  in.build = {"0.1.0", "6.18.0-fuzz"};
  return in;
}

MetricsServer& server() {
  static ScrapeCache cache([] { return stub_input(); }, 1e9, [] { return 0.0; });
  static HttpLimits limits = [] {
    HttpLimits l;
    l.stream.read_timeout_s = l.stream.write_timeout_s = l.stream.request_deadline_s = 1;
    l.keep_alive_timeout_s = 1;
    return l;
  }();
  // Bound but never run: connections come through serve_connection().
  static MetricsServer s(ListenAddress{"127.0.0.1", 0, false}, cache, limits);
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  MetricsServer& s = server();
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) std::abort();
  const int big = 1 << 20;
  setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  setsockopt(fds[1], SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  // The request, then the client's half-close: the server sees all of it and then EOF.
  for (size_t off = 0; off < size;) {
    const ssize_t n = send(fds[0], data + off, size - off, MSG_NOSIGNAL);
    if (n <= 0) std::abort();  // inputs are kept below the socket buffer (run.sh: -max_len)
    off += static_cast<size_t>(n);
  }
  shutdown(fds[0], SHUT_WR);

  std::string response;
  std::thread reader([&] {
    char buf[8192];
    for (;;) {
      const ssize_t n = recv(fds[0], buf, sizeof buf, 0);
      if (n <= 0) break;  // EOF: the server closed the connection
      response.append(buf, static_cast<size_t>(n));
    }
  });
  s.serve_connection(fds[1]);  // closes fds[1]
  reader.join();
  close(fds[0]);

  if (!response.empty() && response.compare(0, 9, "HTTP/1.1 ") != 0) std::abort();
  return 0;
}
