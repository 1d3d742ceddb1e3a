#include "serve/basic_auth.hpp"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstring>
#include <memory>

namespace tcpsight {

namespace {

// A bcrypt hash of no one's password: unknown users are checked against it, so that their
// answer takes as long as a known user's (no user enumeration by timing).
constexpr const char* kDummyHash = "$2b$10$rrON7MDGeqNBjAa43xVKhu6uUVbkrJ89PmW1LvRj3aJkrrYZHNJI6";

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Standard base64 with padding, as RFC 7617 sends it; nullopt for anything else.
std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    int v[4];
    size_t pad = 0;
    for (size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      if (c == '=' && i + 4 == text.size() && j >= 2) {
        v[j] = 0;
        ++pad;
      } else if (pad > 0 || (v[j] = base64_value(c)) < 0) {
        return std::nullopt;
      }
    }
    const uint32_t n = (uint32_t(v[0]) << 18) | (uint32_t(v[1]) << 12) | (uint32_t(v[2]) << 6) | uint32_t(v[3]);
    out.push_back(static_cast<char>(n >> 16));
    if (pad < 2) out.push_back(static_cast<char>((n >> 8) & 0xff));
    if (pad < 1) out.push_back(static_cast<char>(n & 0xff));
  }
  return out;
}

bool bcrypt_matches(const std::string& password, const std::string& hash) {
  auto data = std::make_unique<crypt_data>();  // 32 KiB: not on a worker's stack
  const char* out = crypt_r(password.c_str(), hash.c_str(), data.get());
  // On a bad setting crypt_r returns "*0" or "*1", which never equals a valid hash.
  return out && std::strlen(out) == hash.size() && CRYPTO_memcmp(out, hash.data(), hash.size()) == 0;
}

}  // namespace

std::optional<Credentials> parse_basic_authorization(const std::string& header) {
  // The scheme is case-insensitive (RFC 7617 2.1); one or more spaces follow it.
  if (header.size() < 6 || strncasecmp(header.c_str(), "basic ", 6) != 0) return std::nullopt;
  size_t at = 6;
  while (at < header.size() && header[at] == ' ') ++at;
  const auto decoded = base64_decode(std::string_view(header).substr(at));
  if (!decoded) return std::nullopt;
  const size_t colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  if (decoded->find('\0') != std::string::npos) return std::nullopt;  // crypt(3) would cut the password there
  return Credentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

bool BasicAuth::allows(const std::map<std::string, std::string>& users, const std::string& authorization_header) {
  const auto credentials = parse_basic_authorization(authorization_header);
  if (!credentials) return false;
  const auto user = users.find(credentials->user);
  const std::string& hash = user != users.end() ? user->second : std::string(kDummyHash);

  // None of the three holds a NUL (parse_basic_authorization refuses one), so NUL separates them.
  const std::string key = hash + '\0' + credentials->user + '\0' + credentials->password;
  Digest digest{};
  if (EVP_Digest(key.data(), key.size(), digest.data(), nullptr, EVP_sha256(), nullptr) != 1) return false;
  if (user != users.end()) {
    std::lock_guard lock(mutex_);
    if (verified_.count(digest)) return true;
  }
  const bool matches = bcrypt_matches(credentials->password, hash);
  if (!matches || user == users.end()) return false;
  std::lock_guard lock(mutex_);
  if (verified_.size() >= kMaxRemembered) verified_.clear();
  verified_.insert(digest);
  return true;
}

}  // namespace tcpsight
