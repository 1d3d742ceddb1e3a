// churn: a bounded TCP connection-churn load generator, loopback only.
//
//   churn [--seconds S | --count N] [--threads K] [--close client|server|rst] [--addr 127.x.y.z]
//         [--sources N]
//
// Each client thread connects, closes and starts again; one acceptor thread per client thread
// answers. Who closes first decides where TIME_WAIT sockets pile up:
//   client  the client closes first: TIME_WAIT on the client side (10 state events per connection)
//   server  the server closes first: TIME_WAIT on the server side
//   rst     the client aborts with SO_LINGER 0: a reset, no TIME_WAIT, the highest rate
// With client closes every connection leaves its 4-tuple in TIME_WAIT for 60 s, and one source
// address has only the ephemeral port range to give: past that, connect() waits for ports the
// kernel lets it reuse and the rate is bounded by ports, not CPU. --sources N spreads the clients
// over N source addresses (127.253.0.1 onwards) so that a run of several seconds stays CPU-bound.
// Prints one line: connections=N failed=F seconds=S rate=R
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

enum class Closer { client, server, rst };

struct ChurnOptions {
  double seconds = 5;  // upper bound on the run, also with --count
  long count = 0;      // 0: as many as fit in `seconds`
  int threads = 2;
  Closer closer = Closer::client;
  std::string addr = "127.0.0.1";
  int sources = 1;  // source addresses the clients rotate over; 1: the kernel's choice
};

[[noreturn]] void usage_error(const std::string& why) {
  std::fprintf(stderr,
               "churn: %s\nusage: churn [--seconds S | --count N] [--threads K] [--close client|server|rst] "
               "[--addr 127.x.y.z] [--sources N]\n",
               why.c_str());
  std::exit(2);
}

double number_of(const std::string& option, const std::string& text) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0') usage_error(option + " takes a number, not '" + text + "'");
  return v;
}

ChurnOptions parse_options(int argc, char** argv) {
  ChurnOptions o;
  bool seconds_given = false;
  for (int i = 1; i < argc; i += 2) {
    const std::string name = argv[i];
    if (i + 1 >= argc) usage_error("missing value for " + name);
    const std::string value = argv[i + 1];
    if (name == "--seconds") {
      o.seconds = number_of(name, value);
      seconds_given = true;
    } else if (name == "--count") {
      o.count = static_cast<long>(number_of(name, value));
    } else if (name == "--threads") {
      o.threads = static_cast<int>(number_of(name, value));
    } else if (name == "--sources") {
      o.sources = static_cast<int>(number_of(name, value));
    } else if (name == "--addr") {
      o.addr = value;
    } else if (name == "--close") {
      if (value == "client") o.closer = Closer::client;
      else if (value == "server") o.closer = Closer::server;
      else if (value == "rst") o.closer = Closer::rst;
      else usage_error("--close takes client, server or rst");
    } else {
      usage_error("unknown option " + name);
    }
  }
  if (o.count > 0 && !seconds_given) o.seconds = 600;  // a count still ends in bounded time
  if (o.threads < 1 || o.threads > 64) usage_error("--threads must be 1..64");
  if (o.sources < 1 || o.sources > 65000) usage_error("--sources must be 1..65000");
  if (o.count < 0) usage_error("--count must not be negative");
  if (!(o.seconds > 0 && o.seconds <= 3600)) usage_error("--seconds must be in (0, 3600]");
  in_addr a{};
  if (inet_pton(AF_INET, o.addr.c_str(), &a) != 1 || (ntohl(a.s_addr) >> 24) != 127)
    usage_error("--addr must be an IPv4 loopback address (127.0.0.0/8), not '" + o.addr + "'");
  return o;
}

// A socket descriptor closed when it goes out of scope.
class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

 private:
  int fd_;
};

void drain_until_closed(int fd) {
  char byte;
  while (read(fd, &byte, 1) > 0) {
  }
}

void abort_on_close(int fd) {
  const linger l{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

// One listening socket on addr, with a kernel-chosen port; returns its address.
sockaddr_in open_listener(const Socket& listener, const std::string& addr) {
  const int one = 1;
  setsockopt(listener.fd(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  inet_pton(AF_INET, addr.c_str(), &sa.sin_addr);
  if (bind(listener.fd(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || listen(listener.fd(), 4096) != 0) {
    std::perror(("churn: cannot listen on " + addr).c_str());
    std::exit(1);
  }
  socklen_t len = sizeof sa;
  getsockname(listener.fd(), reinterpret_cast<sockaddr*>(&sa), &len);
  return sa;
}

// Binds `fd` to the `i`th source address (127.253.0.1 onwards), leaving the port to connect().
bool bind_source(int fd, int i) {
  const int on = 1;
  setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof on);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl((127u << 24) | (253u << 16) | static_cast<uint32_t>(i + 1));
  return bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  const ChurnOptions o = parse_options(argc, argv);
  const Socket listener(socket(AF_INET, SOCK_STREAM, 0));
  if (!listener.valid()) {
    std::perror("churn: socket");
    return 1;
  }
  const sockaddr_in server = open_listener(listener, o.addr);

  std::atomic<bool> stopping{false};
  std::atomic<long> claimed{0}, completed{0}, failed{0};

  std::vector<std::thread> acceptors;
  for (int t = 0; t < o.threads; ++t)
    acceptors.emplace_back([&] {
      while (!stopping.load(std::memory_order_relaxed)) {
        const Socket conn(accept(listener.fd(), nullptr, nullptr));
        if (!conn.valid()) continue;
        if (o.closer != Closer::server) drain_until_closed(conn.fd());  // the client closes first
      }
    });

  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::duration<double>(o.seconds);
  std::vector<std::thread> clients;
  for (int t = 0; t < o.threads; ++t)
    clients.emplace_back([&, t] {
      int source = t % o.sources;
      while (std::chrono::steady_clock::now() < deadline) {
        if (o.count > 0 && claimed.fetch_add(1, std::memory_order_relaxed) >= o.count) break;
        const Socket conn(socket(AF_INET, SOCK_STREAM, 0));
        if (o.sources > 1 && conn.valid() && !bind_source(conn.fd(), source)) {
          std::perror("churn: bind to a source address");
          std::exit(1);
        }
        source = (source + 1) % o.sources;
        if (!conn.valid() || connect(conn.fd(), reinterpret_cast<const sockaddr*>(&server), sizeof server) != 0) {
          failed.fetch_add(1, std::memory_order_relaxed);
          if (o.count > 0) claimed.fetch_sub(1, std::memory_order_relaxed);  // try that one again
          std::this_thread::sleep_for(std::chrono::milliseconds(1));  // e.g. no free port: do not spin
          continue;
        }
        if (o.closer == Closer::server) drain_until_closed(conn.fd());
        if (o.closer == Closer::rst) abort_on_close(conn.fd());
        completed.fetch_add(1, std::memory_order_relaxed);
      }  // ~Socket closes
    });
  for (auto& c : clients) c.join();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  stopping = true;
  shutdown(listener.fd(), SHUT_RDWR);  // wakes acceptors blocked in accept()
  for (auto& a : acceptors) a.join();

  std::printf("connections=%ld failed=%ld seconds=%.3f rate=%.0f\n", completed.load(), failed.load(), seconds,
              static_cast<double>(completed.load()) / seconds);
  return 0;
}
