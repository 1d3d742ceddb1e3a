#include "serve/metrics_server.hpp"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

#include "core/errors.hpp"
#include "serve/bounded_socket_stream.hpp"
#include "serve/bounded_task_queue.hpp"
#include "serve/content_negotiation.hpp"
#include "serve/metrics_render.hpp"

namespace tcpsight {

namespace {

constexpr const char* kIndexPage = R"(<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>tcpsight</title></head>
<body><h1>tcpsight</h1>
<p>TCP connection states of this host's network namespace, from eBPF tracepoints and a socket iterator.</p>
<ul><li><a href="metrics">/metrics</a>: Prometheus and OpenMetrics exposition</li>
<li><a href="healthz">/healthz</a>: health check</li></ul>
</body></html>
)";

std::string_view reason_phrase(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 416: return "Range Not Satisfiable";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Error";
  }
}

// Why binding failed, found by trying it the same way (httplib does not keep errno).
std::string bind_failure(const ListenAddress& address) {
  const int family = address.ipv6 ? AF_INET6 : AF_INET;
  const int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::strerror(errno);
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (address.ipv6) {
    auto* sa = reinterpret_cast<sockaddr_in6*>(&ss);
    sa->sin6_family = AF_INET6;
    sa->sin6_port = htons(address.port);
    inet_pton(AF_INET6, address.host.c_str(), &sa->sin6_addr);
    len = sizeof *sa;
  } else {
    auto* sa = reinterpret_cast<sockaddr_in*>(&ss);
    sa->sin_family = AF_INET;
    sa->sin_port = htons(address.port);
    inet_pton(AF_INET, address.host.c_str(), &sa->sin_addr);
    len = sizeof *sa;
  }
  int err = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || listen(fd, 1) != 0) err = errno;
  close(fd);
  switch (err) {
    case 0: return "the HTTP library could not bind it";
    case EADDRINUSE: return "address already in use (is another tcpsight serve or exporter running?)";
    case EADDRNOTAVAIL: return "no such local address on this host";
    case EACCES: return "permission denied (ports below 1024 need CAP_NET_BIND_SERVICE)";
    default: return std::strerror(err);
  }
}

}  // namespace

// httplib's server with two changes: each connection is read through a BoundedSocketStream
// (httplib 0.11 bounds neither the number of headers nor the time a request may take), and the
// listening socket is reachable (to widen httplib's listen backlog of 5).
class MetricsServer::Http : public httplib::Server {
 public:
  explicit Http(const HttpLimits& limits) : limits_(limits) {}
  int listening_fd() const { return svr_sock_; }
  void serve_connection(socket_t sock) { process_and_close_socket(sock); }

 private:
  bool stopping() const { return svr_sock_ == INVALID_SOCKET; }

  // Replaces httplib's own loop over the requests of one connection.
  bool process_and_close_socket(socket_t sock) override {
    BoundedSocketStream stream(sock, limits_.stream);
    bool closed = false;
    for (size_t served = 0; served < limits_.keep_alive_max_requests && !closed; ++served) {
      if (served > 0 && !stream.wait_for_request(limits_.keep_alive_timeout_s, [this] { return stopping(); })) break;
      stream.begin_request();
      const bool last = served + 1 == limits_.keep_alive_max_requests || stopping();
      bool parsed = false;  // httplib calls this only for a request it could read
      const bool answered = process_request(stream, last, closed, [&parsed](httplib::Request&) { parsed = true; });
      if (!answered || !parsed) break;  // after a 400 the rest of the stream is not trusted
    }
    shutdown(sock, SHUT_RDWR);
    close(sock);
    return true;
  }

  HttpLimits limits_;
};

MetricsServer::MetricsServer(const ListenAddress& address, ScrapeCache& cache, const HttpLimits& limits)
    : address_(address), http_(std::make_unique<Http>(limits)) {
  Http& http = *http_;
  http.new_task_queue = [limits] { return new BoundedTaskQueue(limits.threads, limits.max_queued); };
  // Not httplib's default SO_REUSEPORT: a second exporter on the same port must fail, not share it.
  http.set_socket_options([](socket_t fd) {
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  });
  http.set_tcp_nodelay(true);
  http.set_payload_max_length(limits.max_request_body);
  // Only what the Keep-Alive response header announces: the loop above applies the limits.
  http.set_keep_alive_timeout(static_cast<time_t>(limits.keep_alive_timeout_s));
  http.set_keep_alive_max_count(limits.keep_alive_max_requests);

  http.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(kIndexPage, "text/html; charset=utf-8");
  });
  http.Get("/metrics", [&cache](const httplib::Request& req, httplib::Response& res) {
    const ExpositionFormat format = choose_format(req.get_header_value("Accept"));
    try {
      const auto input = cache.get();
      res.set_content(render_metrics(*input, format), std::string(content_type(format)));
    } catch (const std::exception& e) {
      res.status = 500;
      res.set_content(fmt::format("tcpsight: gathering metrics failed: {}\n", e.what()), "text/plain; charset=utf-8");
    }
  });
  http.Get("/healthz", [&cache](const httplib::Request&, httplib::Response& res) {
    if (cache.healthy()) {
      res.set_content("ok\n", "text/plain; charset=utf-8");
    } else {
      res.status = 503;
      res.set_content("unhealthy: " + cache.last_error() + "\n", "text/plain; charset=utf-8");
    }
  });
  const auto not_allowed = [](const httplib::Request&, httplib::Response& res) {
    res.status = 405;
    res.set_header("Allow", "GET, HEAD");
  };
  for (const char* path : {"/", "/metrics", "/healthz"}) {
    http.Post(path, not_allowed);
    http.Put(path, not_allowed);
    http.Patch(path, not_allowed);
    http.Delete(path, not_allowed);
    http.Options(path, not_allowed);
  }
  http.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty())
      res.set_content(fmt::format("{} {}\n", res.status, reason_phrase(res.status)),
                      "text/plain; charset=utf-8");
  });

  if (address_.port == 0) {
    const int port = http.bind_to_any_port(address_.host);
    if (port <= 0) throw UserError(fmt::format("cannot listen on {}: {}", address_.text(), bind_failure(address_)));
    address_.port = static_cast<uint16_t>(port);
  } else if (!http.bind_to_port(address_.host, address_.port)) {
    throw UserError(fmt::format("cannot listen on {}: {}", address_.text(), bind_failure(address_)));
  }
  // httplib listens with a backlog of 5: too short for a burst of scrapers.
  ::listen(http.listening_fd(), limits.listen_backlog);
}

MetricsServer::~MetricsServer() = default;

bool MetricsServer::run() { return http_->listen_after_bind(); }

void MetricsServer::stop() { http_->stop(); }

void MetricsServer::serve_connection(int fd) { http_->serve_connection(fd); }

}  // namespace tcpsight
