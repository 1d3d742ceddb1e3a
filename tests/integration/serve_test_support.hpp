// What the `tcpsight serve` integration tests share: the exporter running in a namespace, a small
// HTTP client that speaks from inside that namespace, loopback connections made there, and a
// reader for the text the exporter serves.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <stdlib.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "harness.hpp"

namespace tcpsight::itest::serve {

// A socket descriptor owned by the test.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = o.fd_;
      o.fd_ = -1;
    }
    return *this;
  }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

inline sockaddr_storage socket_address(const std::string& host, uint16_t port, socklen_t& len) {
  sockaddr_storage ss{};
  if (host.find(':') != std::string::npos) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    if (inet_pton(AF_INET6, host.c_str(), &a->sin6_addr) != 1) throw std::invalid_argument("address " + host);
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    if (inet_pton(AF_INET, host.c_str(), &a->sin_addr) != 1) throw std::invalid_argument("address " + host);
    len = sizeof *a;
  }
  return ss;
}

// A TCP socket connected to host:port from inside `netns` (usable from any thread afterwards),
// from local address `source` when given (any of 127.0.0.0/8 is local on loopback).
inline Fd connect_in(const std::string& netns, const std::string& host, uint16_t port, Seconds timeout = 10s,
                     const std::string& source = "") {
  Fd fd;
  run_in_netns(netns, [&] {
    socklen_t len = 0;
    const sockaddr_storage ss = socket_address(host, port, len);
    fd = Fd(::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) throw std::runtime_error("socket failed");
    if (!source.empty()) {
      socklen_t source_len = 0;
      const sockaddr_storage from = socket_address(source, 0, source_len);
      if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&from), source_len) != 0)
        throw std::runtime_error("bind to " + source + " failed: " + std::strerror(errno));
    }
    timeval tv{static_cast<time_t>(timeout.count()), static_cast<suseconds_t>((timeout.count() - static_cast<double>(static_cast<time_t>(timeout.count()))) * 1e6)};
    setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&ss), len) != 0)
      throw std::runtime_error("connect to " + host + ":" + std::to_string(port) + " failed: " + std::strerror(errno));
  });
  return fd;
}

// A listening socket in `netns` on host with a kernel-chosen port.
struct Listener {
  Fd fd;
  uint16_t port = 0;
};

inline Listener listen_in(const std::string& netns, const std::string& host, int backlog) {
  Listener l;
  run_in_netns(netns, [&] {
    socklen_t len = 0;
    sockaddr_storage ss = socket_address(host, 0, len);
    l.fd = Fd(::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (::bind(l.fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(l.fd.get(), backlog) != 0)
      throw std::runtime_error(std::string("listen failed: ") + std::strerror(errno));
    getsockname(l.fd.get(), reinterpret_cast<sockaddr*>(&ss), &len);
    l.port = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                             : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  });
  return l;
}

// n loopback connections to `listener`, each closed by the client first: n client-side TIME_WAIT
// sockets, 10 state changes each.
inline void client_closed_connections(const std::string& netns, const Listener& listener, int n) {
  for (int i = 0; i < n; ++i) {
    Fd client = connect_in(netns, "127.0.0.1", listener.port);
    Fd server(::accept(listener.fd.get(), nullptr, nullptr));
    if (server.get() < 0) throw std::runtime_error("accept failed");
    client.reset();  // FIN from the client first
    char byte;
    while (::read(server.get(), &byte, 1) > 0) {
    }
  }
}

inline bool send_all(int fd, const std::string& data) {
  for (size_t sent = 0; sent < data.size();) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

struct HttpReply {
  int status = 0;  // 0: no (complete) reply
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
};

inline std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Reads one response: headers, then Content-Length bytes of body (or up to EOF without one).
inline HttpReply read_reply(int fd) {
  std::string raw;
  char buf[65536];
  size_t header_end = std::string::npos;
  std::optional<size_t> length;
  HttpReply reply;
  for (;;) {
    if (header_end == std::string::npos) {
      header_end = raw.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        std::istringstream head(raw.substr(0, header_end));
        std::string line;
        std::getline(head, line);
        if (line.rfind("HTTP/", 0) == 0 && line.size() >= 12) reply.status = std::atoi(line.c_str() + 9);
        while (std::getline(head, line)) {
          if (!line.empty() && line.back() == '\r') line.pop_back();
          const size_t colon = line.find(':');
          if (colon == std::string::npos) continue;
          std::string value = line.substr(colon + 1);
          value.erase(0, value.find_first_not_of(' '));
          reply.headers[lower(line.substr(0, colon))] = value;
        }
        if (reply.headers.count("content-length")) length = std::stoul(reply.headers["content-length"]);
      }
    }
    if (header_end != std::string::npos && length && raw.size() >= header_end + 4 + *length) break;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      if (header_end == std::string::npos || length) reply.status = 0;  // cut short
      break;
    }
    raw.append(buf, static_cast<size_t>(n));
  }
  if (header_end != std::string::npos) reply.body = raw.substr(header_end + 4, length ? *length : std::string::npos);
  return reply;
}

// GET with "Connection: close"; HTTP/1.0 (`http10`) keeps servers like Prometheus from chunking.
inline HttpReply http_get(const std::string& netns, const std::string& host, uint16_t port, const std::string& path,
                          const std::vector<std::string>& headers = {}, Seconds timeout = 10s, bool http10 = false) {
  Fd fd = connect_in(netns, host, port, timeout);
  std::string request = "GET " + path + (http10 ? " HTTP/1.0" : " HTTP/1.1") + "\r\nHost: " + host +
                        "\r\nConnection: close\r\n";
  for (const auto& h : headers) request += h + "\r\n";
  request += "\r\n";
  if (!send_all(fd.get(), request)) return {};
  HttpReply reply = read_reply(fd.get());
  // Wait for the server to close first: then the TIME_WAIT socket of this connection is always the
  // server's, and the state changes it makes are the same every time.
  char byte;
  while (::recv(fd.get(), &byte, 1, 0) > 0) {
  }
  return reply;
}

// A fresh directory /tmp/ts-NAME-XXXXXX, removed with everything in it.
class TempDir {
 public:
  explicit TempDir(const std::string& name) {
    std::string pattern = "/tmp/ts-" + name + "-XXXXXX";
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// `tcpsight serve` running in a namespace, ready to be scraped.
class ServeUnderTest {
 public:
  explicit ServeUnderTest(const Netns& ns, const std::string& listen = "127.0.0.1:9977",
                          const std::vector<std::string>& extra = {})
      : netns_(ns.name()), child_(argv(listen, extra), ns.inside()) {
    const auto colon = listen.rfind(':');
    host_ = listen.substr(0, colon);
    if (!host_.empty() && host_.front() == '[') host_ = host_.substr(1, host_.size() - 2);
    port_ = static_cast<uint16_t>(std::stoi(listen.substr(colon + 1)));
    ready_ = child_.wait_for_line(Child::Stream::err, "serving http", 20s).has_value();  // or https
  }

  bool ready() const { return ready_; }
  Child& child() { return child_; }
  const std::string& netns() const { return netns_; }
  uint16_t port() const { return port_; }

  HttpReply get(const std::string& path, const std::vector<std::string>& headers = {}) const {
    return http_get(netns_, host_, port_, path, headers);
  }
  Fd connect() const { return connect_in(netns_, host_, port_); }

 private:
  static std::vector<std::string> argv(const std::string& listen, const std::vector<std::string>& extra) {
    std::vector<std::string> a{tcpsight_binary(), "serve", "--listen", listen};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }

  std::string netns_;
  Child child_;
  std::string host_;
  uint16_t port_ = 0;
  bool ready_ = false;
};

// Samples of a Prometheus text exposition: "name{a=\"x\",b=\"y\"}" (labels as written) -> value.
inline std::map<std::string, double> samples_of(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

// The value of one sample, written as the exporter writes it; NaN when absent.
inline double sample(const std::map<std::string, double>& samples, const std::string& series) {
  const auto it = samples.find(series);
  return it == samples.end() ? std::nan("") : it->second;
}

// Families a scrape declares (names from its # TYPE lines) and sample names it has.
inline std::set<std::string> sample_names(const std::string& text) {
  std::set<std::string> names;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != '#') names.insert(line.substr(0, line.find_first_of("{ ")));
  return names;
}

// ---- a Prometheus server the test runs (its HTTP API on 127.0.0.1:9090 of the namespace) ----

inline std::string url_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
    else out += {'%', hex[c >> 4], hex[c & 15]};
  }
  return out;
}

// The value of an instant query's first result, or nullopt (no result yet, or Prometheus not up).
// Prometheus opens its port seconds after it starts (many more under emulation): ask it only then.
inline bool wait_for_prometheus(const Netns& ns, Seconds timeout) {
  return wait_until(
      [&] {
        try {
          return http_get(ns.name(), "127.0.0.1", 9090, "/-/ready", {}, 2s, true).status == 200;
        } catch (const std::exception&) {
          return false;  // not listening yet
        }
      },
      timeout);
}

inline std::optional<double> query(const Netns& ns, const std::string& promql) {
  const HttpReply r = http_get(ns.name(), "127.0.0.1", 9090, "/api/v1/query?query=" + url_encode(promql), {}, 5s, true);
  if (r.status != 200) return std::nullopt;
  const auto body = nlohmann::json::parse(r.body, nullptr, false);
  if (body.is_discarded() || body.value("status", "") != "success") return std::nullopt;
  const auto& result = body["data"]["result"];
  if (!result.is_array() || result.empty()) return std::nullopt;
  return std::stod(result[0]["value"][1].get<std::string>());
}

// A scrape job's target health and last error as Prometheus reports them.
inline std::pair<std::string, std::string> target_health(const Netns& ns, const std::string& job) {
  const HttpReply r = http_get(ns.name(), "127.0.0.1", 9090, "/api/v1/targets", {}, 5s, true);
  const auto body = nlohmann::json::parse(r.body, nullptr, false);
  if (r.status != 200 || body.is_discarded()) return {"", "no answer from Prometheus"};
  for (const auto& t : body["data"]["activeTargets"])
    if (t["labels"].value("job", "") == job) return {t.value("health", ""), t.value("lastError", "")};
  return {"", "no target of job " + job};
}

// The path of a tool, or nullopt (then the test fails under CI=true and is skipped elsewhere).
// First .tools/ of the source tree: where scripts/install-deps.sh unpacks prometheus, promtool and
// prometheus-node-exporter on a machine without their packages (installing them starts services).
inline std::optional<std::string> find_tool(const std::string& name) {
  for (const std::string dir : {TCPSIGHT_SOURCE_DIR "/.tools/root/usr/bin/", "/usr/bin/", "/usr/sbin/", "/bin/",
                                "/sbin/", "/usr/local/bin/"}) {
    const std::string path = dir + name;
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  return std::nullopt;
}

#define TS_REQUIRE_TOOL_OR_SKIP(var, name)                                                       \
  const auto var##_found = ::tcpsight::itest::serve::find_tool(name);                            \
  if (!var##_found) {                                                                            \
    if (::tcpsight::itest::running_in_ci()) FAIL() << "CI=true but " << name << " is not installed"; \
    GTEST_SKIP() << name << " is not installed";                                                 \
  }                                                                                              \
  const std::string var = *var##_found

}  // namespace tcpsight::itest::serve
