// serve's --web.config.file text and the Authorization header of basic auth: any bytes, no crash;
// a config that parses is self-consistent, and a header that parses splits where RFC 7617 says.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/errors.hpp"
#include "serve/basic_auth.hpp"
#include "serve/web_config.hpp"

namespace {

void check_config(const std::string& text) {
  tcpsight::WebConfig config;
  try {
    config = tcpsight::parse_web_config(text, "/etc/tcpsight");
  } catch (const tcpsight::UserError&) {
    return;  // refused with a reason: what it must do with bad input
  }
  for (const auto& [user, hash] : config.users)
    if (user.empty() || user.find(':') != std::string::npos || !tcpsight::is_bcrypt_hash(hash)) std::abort();
  if (config.tls) {
    if (config.tls->cert_file.empty() || config.tls->key_file.empty()) std::abort();
    if (config.tls->max_version && *config.tls->max_version < config.tls->min_version) std::abort();
  }
}

void check_header(const std::string& text) {
  const auto credentials = tcpsight::parse_basic_authorization(text);
  if (!credentials) return;
  if (credentials->user.find(':') != std::string::npos) std::abort();
  if ((credentials->user + credentials->password).find('\0') != std::string::npos) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  check_config(text);
  check_header("Basic " + text);
  check_header(text);
  return 0;
}
