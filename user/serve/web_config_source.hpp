// The web config of the moment. Each connection (and each request, for basic auth) asks for it;
// the file and the files it names are re-read when any of them changed (inode, size or mtime),
// so certificates and users rotate without a restart. A change that does not load makes every
// connection fail (closed, never open) until the files are fixed, and is reported once.
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "serve/tls_context.hpp"
#include "serve/web_config.hpp"

namespace tcpsight {

struct WebState {
  WebConfig config;
  std::shared_ptr<SSL_CTX> tls;  // null for plain HTTP
};

class WebConfigSource {
 public:
  using Warn = std::function<void(const std::string&)>;
  // Loads the file now: throws UserError when it does not load. `warn` reports later failures.
  WebConfigSource(std::filesystem::path file, Warn warn);

  // Whether connections are TLS: fixed by the file as it was at start-up, as in the exporter toolkit.
  bool tls() const { return tls_; }
  // The state to use now; null when the files changed into something that does not load.
  std::shared_ptr<const WebState> current();

 private:
  struct Stamp {
    std::filesystem::path path;
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = -1;
    timespec mtime{};
    bool operator==(const Stamp& o) const;
  };
  static Stamp stamp_of(const std::filesystem::path& path);
  std::vector<Stamp> stamps_of(const WebConfig& config) const;
  std::shared_ptr<const WebState> load(std::vector<Stamp>& stamps) const;  // throws UserError

  std::filesystem::path file_;
  Warn warn_;
  bool tls_ = false;
  std::mutex mutex_;
  std::vector<Stamp> stamps_;  // of the files `state_` (or the failure `error_`) came from
  std::shared_ptr<const WebState> state_;
  std::string error_;
};

}  // namespace tcpsight
