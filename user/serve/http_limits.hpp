// How much one HTTP client may cost `tcpsight serve`: workers, queue, time and bytes per request.
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
  size_t threads = 8;               // workers; each serves one connection at a time
  size_t max_queued = 64;           // accepted connections waiting for a worker
  StreamLimits stream;              // per request
  double keep_alive_timeout_s = 3;  // an idle kept-alive connection is closed after this
  size_t keep_alive_max_requests = 100;
  size_t max_request_body = 4096;
  int listen_backlog = 128;
};

}  // namespace tcpsight
