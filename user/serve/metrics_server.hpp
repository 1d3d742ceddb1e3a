// The HTTP side of `tcpsight serve` (cpp-httplib): /metrics, /healthz and an index page, served by
// a bounded pool of workers; every request is bounded in size and time (BoundedSocketStream);
// over TLS and with basic auth when a web config file says so.
#pragma once

#include <memory>
#include <mutex>

#include "serve/connection_reactor.hpp"
#include "serve/http_limits.hpp"
#include "serve/listen_address.hpp"
#include "serve/scrape_cache.hpp"
#include "serve/web_config_source.hpp"

namespace tcpsight {

class MetricsServer {
 public:
  // Binds at once; throws UserError naming the address and the reason when it cannot. With `web`,
  // TLS and basic auth are as its file says at each connection.
  MetricsServer(const ListenAddress& address, ScrapeCache& cache, const HttpLimits& limits = {},
                std::shared_ptr<WebConfigSource> web = nullptr);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // The address actually bound (the kernel's port when 0 was asked for).
  const ListenAddress& address() const { return address_; }

  // Serves until stop() (at once when stop() came first); in-flight requests finish first. False
  // when it could not start.
  bool run();
  // From any thread; may be called before run() has started serving (then call it again).
  void stop();
  // Serves one connected socket as run() serves an accepted one, in this thread, and closes it
  // (the HTTP fuzz target's way in: tests/fuzz/).
  void serve_connection(int fd);

 private:
  class Http;
  ListenAddress address_;
  std::unique_ptr<Http> http_;
  std::mutex reactor_mutex_;  // guards reactor_'s creation and end against stop()
  bool stop_requested_ = false;
  std::unique_ptr<ConnectionReactor> reactor_;
};

}  // namespace tcpsight
