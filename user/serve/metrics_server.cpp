#include "serve/metrics_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "core/errors.hpp"
#include "serve/basic_auth.hpp"
#include "serve/bounded_socket_stream.hpp"
#include "serve/bounded_task_queue.hpp"
#include "serve/connection_reactor.hpp"
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
    case 401: return "Unauthorized";
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

// Each connection is an fd: make room for max_connections of them besides serve's own (BPF objects,
// iterators), up to the hard limit (systemd's default soft limit is 1024).
void raise_open_file_limit(size_t connections) {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) != 0) return;
  const rlim_t want = std::min<rlim_t>(r.rlim_max, connections + 1024);
  if (r.rlim_cur < want) {
    r.rlim_cur = want;
    setrlimit(RLIMIT_NOFILE, &r);
  }
}

}  // namespace

// httplib's routing and request parsing, fed by a ConnectionReactor instead of httplib's own accept
// loop (one blocked thread per connection): a worker gets a connection only once its request head
// has come, answers that one request through a BoundedSocketStream (httplib 0.11 bounds neither
// the number of headers nor the time a request may take) and gives the connection back.
class MetricsServer::Http : public httplib::Server {
 public:
  Http(const HttpLimits& limits, std::shared_ptr<WebConfigSource> web) : limits_(limits), web_(std::move(web)) {}
  int listening_fd() const { return svr_sock_; }
  // httplib closes it at the end of its own accept loop, which is not used.
  void close_listening() {
    const socket_t fd = svr_sock_.exchange(INVALID_SOCKET);
    if (fd != INVALID_SOCKET) close(fd);
  }
  WebConfigSource* web() const { return web_.get(); }
  BasicAuth& auth() { return auth_; }
  const HttpLimits& limits() const { return limits_; }

  // One request on a worker. Returns the connection when it stays open for the next request (then
  // it goes back to the reactor); otherwise it is closed here. `last`: the server is stopping.
  std::optional<HttpConnection> answer(HttpConnection connection, bool stopping) {
    BoundedSocketStream stream(connection.fd(), limits_.stream, connection.ssl(), std::move(connection.unread()));
    const bool last = connection.served + 1 >= limits_.keep_alive_max_requests || stopping;
    bool closed = false, parsed = false;  // httplib calls setup only for a request it could read
    const bool answered = process_request(stream, last, closed, [&parsed](httplib::Request&) { parsed = true; });
    // After a 400 the rest of the stream is not trusted; otherwise the connection is kept alive.
    if (!answered || !parsed || closed || last) return std::nullopt;  // closed by HttpConnection's destructor
    connection.unread() = stream.take_unread();
    ++connection.served;
    return connection;
  }

 private:
  HttpLimits limits_;
  std::shared_ptr<WebConfigSource> web_;
  BasicAuth auth_;
};

MetricsServer::MetricsServer(const ListenAddress& address, ScrapeCache& cache, const HttpLimits& limits,
                             std::shared_ptr<WebConfigSource> web)
    : address_(address), http_(std::make_unique<Http>(limits, std::move(web))) {
  Http& http = *http_;
  raise_open_file_limit(limits.max_connections);
  // Basic auth, before any route (the toolkit guards every path). The users are those of the moment.
  http.set_pre_routing_handler([&http](const httplib::Request& req, httplib::Response& res) {
    if (!http.web()) return httplib::Server::HandlerResponse::Unhandled;
    const auto state = http.web()->current();
    if (!state) {
      res.status = 500;
      res.set_content("the web config does not load; see serve's log\n", "text/plain; charset=utf-8");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (state->config.users.empty() || http.auth().allows(state->config.users, req.get_header_value("Authorization")))
      return httplib::Server::HandlerResponse::Unhandled;
    res.status = 401;
    res.set_header("WWW-Authenticate", "Basic");
    res.set_content("401 Unauthorized\n", "text/plain; charset=utf-8");
    return httplib::Server::HandlerResponse::Handled;
  });
  // Not httplib's default SO_REUSEPORT: a second exporter on the same port must fail, not share it.
  http.set_socket_options([](socket_t fd) {
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  });
  http.set_tcp_nodelay(true);
  http.set_payload_max_length(limits.max_request_body);
  // Only what the Keep-Alive response header announces: the reactor and answer() apply the limits.
  http.set_keep_alive_timeout(static_cast<time_t>(limits.keep_alive_timeout_s));
  http.set_keep_alive_max_count(limits.keep_alive_max_requests);

  http.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(kIndexPage, "text/html; charset=utf-8");
  });
  // Failures are told in serve's log (ScrapeCache's warn), not to whoever asks.
  http.Get("/metrics", [&cache](const httplib::Request& req, httplib::Response& res) {
    const ExpositionFormat format = choose_format(req.get_header_value("Accept"));
    try {
      const auto input = cache.get();
      res.set_content(render_metrics(*input, format), std::string(content_type(format)));
    } catch (const std::exception&) {
      res.status = 500;
      res.set_content("gathering metrics failed; see serve's log\n", "text/plain; charset=utf-8");
    }
  });
  // Healthy when a gathering now (or the shared one of the last 0.25 s) succeeds.
  http.Get("/healthz", [&cache](const httplib::Request&, httplib::Response& res) {
    try {
      cache.get();
      res.set_content("ok\n", "text/plain; charset=utf-8");
    } catch (const std::exception&) {
      res.status = 503;
      res.set_content("unhealthy: gathering metrics failed; see serve's log\n", "text/plain; charset=utf-8");
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

MetricsServer::~MetricsServer() { http_->close_listening(); }

bool MetricsServer::run() {
  Http& http = *http_;
  const int fd = http.listening_fd();
  const int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) return false;
  // Every ready connection is counted in max_connections, so the queue never makes the reactor wait.
  BoundedTaskQueue workers(http.limits().threads, http.limits().max_connections);
  ConnectionReactor::TlsContext tls;
  if (http.web() && http.web()->tls())
    tls = [web = http.web()]() -> std::shared_ptr<SSL_CTX> {
      const auto state = web->current();  // re-read per connection: a rotated certificate serves the next one
      return state ? state->tls : nullptr;
    };
  {
    std::lock_guard lock(reactor_mutex_);
    if (stop_requested_) return true;
    reactor_ = std::make_unique<ConnectionReactor>(fd, http.limits(), tls, [&](HttpConnection c) {
      auto shared = std::make_shared<HttpConnection>(std::move(c));
      workers.enqueue([&http, this, shared] {
        if (auto kept = http.answer(std::move(*shared), reactor_->stopping())) reactor_->give_back(std::move(*kept));
      });
    });
  }
  reactor_->run();
  workers.shutdown();  // in-flight requests finish first
  std::lock_guard lock(reactor_mutex_);
  reactor_.reset();
  return true;
}

void MetricsServer::stop() {
  std::lock_guard lock(reactor_mutex_);
  stop_requested_ = true;
  if (reactor_) reactor_->stop();
}

void MetricsServer::serve_connection(int fd) {
  const int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags | O_NONBLOCK);  // as the reactor's sockets are
  std::optional<HttpConnection> connection(std::in_place, fd, std::string(), nullptr);
  while (connection) {
    std::optional<HttpConnection> kept = http_->answer(std::move(*connection), false);
    connection.reset();
    if (kept) connection.emplace(std::move(*kept));
  }
}

}  // namespace tcpsight
