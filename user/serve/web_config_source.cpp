#include "serve/web_config_source.hpp"

#include <fmt/format.h>

#include "core/errors.hpp"

namespace tcpsight {

bool WebConfigSource::Stamp::operator==(const Stamp& o) const {
  return path == o.path && dev == o.dev && ino == o.ino && size == o.size && mtime.tv_sec == o.mtime.tv_sec &&
         mtime.tv_nsec == o.mtime.tv_nsec;
}

WebConfigSource::Stamp WebConfigSource::stamp_of(const std::filesystem::path& path) {
  Stamp s{.path = path};
  struct stat st{};
  if (::stat(path.c_str(), &st) == 0) {
    s.dev = st.st_dev;
    s.ino = st.st_ino;
    s.size = st.st_size;
    s.mtime = st.st_mtim;
  }
  return s;
}

std::vector<WebConfigSource::Stamp> WebConfigSource::stamps_of(const WebConfig& config) const {
  std::vector<Stamp> stamps{stamp_of(file_)};
  if (config.tls) {
    stamps.push_back(stamp_of(config.tls->cert_file));
    stamps.push_back(stamp_of(config.tls->key_file));
    if (!config.tls->client_ca_file.empty()) stamps.push_back(stamp_of(config.tls->client_ca_file));
  }
  return stamps;
}

// Stamps are taken before the files are read, so a write during the read is seen at the next call.
std::shared_ptr<const WebState> WebConfigSource::load(std::vector<Stamp>& stamps) const {
  stamps = {stamp_of(file_)};
  auto state = std::make_shared<WebState>();
  state->config = load_web_config(file_);
  const Stamp config_stamp = stamps.front();
  stamps = stamps_of(state->config);
  stamps.front() = config_stamp;
  if (state->config.tls) {
    try {
      state->tls = std::shared_ptr<SSL_CTX>(make_tls_context(*state->config.tls).release(), SSL_CTX_free);
    } catch (const UserError& e) {
      throw UserError(fmt::format("web config {}: {}", file_.string(), e.what()));
    }
  }
  return state;
}

WebConfigSource::WebConfigSource(std::filesystem::path file, Warn warn) : file_(std::move(file)), warn_(std::move(warn)) {
  state_ = load(stamps_);
  tls_ = state_->tls != nullptr;
}

std::shared_ptr<const WebState> WebConfigSource::current() {
  std::lock_guard lock(mutex_);
  bool unchanged = true;
  for (const Stamp& s : stamps_) unchanged = unchanged && stamp_of(s.path) == s;
  if (unchanged) return state_;
  try {
    auto state = load(stamps_);
    if ((state->tls != nullptr) != tls_)
      throw UserError(fmt::format("web config {}: {} TLS; restart serve to switch between TLS and plain HTTP",
                                  file_.string(), tls_ ? "no longer has" : "now has"));
    state_ = std::move(state);
    if (!error_.empty()) warn_("web config " + file_.string() + " loads again; serving with it");
    error_.clear();
  } catch (const UserError& e) {
    // Fail closed; stamps_ holds the files read so far, so a fix of any of them is retried.
    if (error_ != e.what()) warn_(std::string(e.what()) + "; refusing connections until it is fixed");
    error_ = e.what();
    state_ = nullptr;
  }
  return state_;
}

}  // namespace tcpsight
