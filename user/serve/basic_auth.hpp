// HTTP basic authentication against bcrypt hashes (RFC 7617), as the exporter toolkit checks it:
// an unknown user costs the same bcrypt as a known one, and a verified (user, password, hash) is
// remembered so that a scrape every few seconds does not cost a bcrypt each (~50 ms at cost 10).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace tcpsight {

struct Credentials {
  std::string user;
  std::string password;
};

// The user and password of an "Authorization: Basic ..." header value; nullopt when malformed.
std::optional<Credentials> parse_basic_authorization(const std::string& header);

class BasicAuth {
 public:
  // Whether the header's credentials match one of `users` (name -> bcrypt hash). Thread-safe.
  bool allows(const std::map<std::string, std::string>& users, const std::string& authorization_header);

 private:
  using Digest = std::array<uint8_t, 32>;
  static constexpr size_t kMaxRemembered = 256;
  std::mutex mutex_;
  std::set<Digest> verified_;
};

}  // namespace tcpsight
