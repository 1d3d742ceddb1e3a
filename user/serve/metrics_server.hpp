// The HTTP side of `tcpsight serve` (cpp-httplib): /metrics, /healthz and an index page, served by
// a bounded pool of workers; every request is bounded in size and time (BoundedSocketStream).
#pragma once

#include <memory>

#include "serve/http_limits.hpp"
#include "serve/listen_address.hpp"
#include "serve/scrape_cache.hpp"

namespace tcpsight {

class MetricsServer {
 public:
  // Binds at once; throws UserError naming the address and the reason when it cannot.
  MetricsServer(const ListenAddress& address, ScrapeCache& cache, const HttpLimits& limits = {});
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // The address actually bound (the kernel's port when 0 was asked for).
  const ListenAddress& address() const { return address_; }

  // Serves until stop(); in-flight requests finish first. False when it ended for another reason.
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
};

}  // namespace tcpsight
