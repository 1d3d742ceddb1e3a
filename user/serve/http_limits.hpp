// How much one HTTP client may cost `tcpsight serve`: connections, time and bytes per request, workers.
#pragma once

#include <cstddef>

namespace tcpsight {

struct StreamLimits {
  double read_timeout_s = 3;         // longest wait for the next bytes
  double write_timeout_s = 5;        // longest wait to send more bytes
  double request_deadline_s = 10;    // a whole request must arrive within this
  size_t max_request_bytes = 32768;  // request line, headers and body together
};

struct HttpLimits {
  size_t threads = 8;               // workers; each answers one request at a time
  size_t max_connections = 1024;    // open at once (idle, reading, or being answered)
  size_t max_per_address = 64;      // of those, from one client address
  StreamLimits stream;              // per request
  double keep_alive_timeout_s = 3;  // a connection with no request under way is closed after this
  size_t keep_alive_max_requests = 100;
  size_t max_request_body = 4096;
  // As many as serve holds (max_connections): a burst of connects (scrapers starting together,
  // a crowd of idle clients) then waits in the accept queue instead of having its handshakes
  // dropped and retried a second or more later, as a backlog of 128 did under load (the kernel
  // caps it at net.core.somaxconn, 4096 by default on 6.1-6.18).
  int listen_backlog = static_cast<int>(max_connections);
};

}  // namespace tcpsight
