#include "serve/web_config.hpp"

#include <yaml-cpp/yaml.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "core/errors.hpp"

namespace tcpsight {

namespace {

// Every key of a mapping must be one of `known`, once; `unsupported` ones get their own message.
void check_keys(const YAML::Node& map, const std::string& where, const std::set<std::string>& known,
                const std::set<std::string>& unsupported = {}) {
  std::set<std::string> seen;
  for (const auto& entry : map) {
    const std::string key = entry.first.as<std::string>();
    if (!seen.insert(key).second) throw UserError(fmt::format("{}{} is given twice", where, key));
    if (unsupported.count(key)) throw UserError(fmt::format("{}{} is not supported by tcpsight", where, key));
    if (!known.count(key)) throw UserError(fmt::format("unknown key {}{}", where, key));
  }
}

std::string text_of(const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar()) throw UserError(fmt::format("{} must be a string", key));
  return node.as<std::string>();
}

std::filesystem::path path_in(const std::filesystem::path& dir, const std::string& value) {
  const std::filesystem::path p(value);
  return p.is_absolute() || value.empty() ? p : dir / p;
}

ClientAuth client_auth_of(const std::string& value) {
  if (value.empty() || value == "NoClientCert") return ClientAuth::none;
  if (value == "RequestClientCert") return ClientAuth::request;
  if (value == "RequireAnyClientCert" || value == "RequireClientCert") return ClientAuth::require_any;
  if (value == "VerifyClientCertIfGiven") return ClientAuth::verify_if_given;
  if (value == "RequireAndVerifyClientCert") return ClientAuth::require_and_verify;
  throw UserError(fmt::format(
      "tls_server_config.client_auth_type: {:?} is none of NoClientCert, RequestClientCert, RequireAnyClientCert, "
      "VerifyClientCertIfGiven, RequireAndVerifyClientCert",
      value));
}

TlsVersion version_of(const std::string& value, const std::string& key) {
  if (value == "TLS10") return TlsVersion::tls10;
  if (value == "TLS11") return TlsVersion::tls11;
  if (value == "TLS12") return TlsVersion::tls12;
  if (value == "TLS13") return TlsVersion::tls13;
  throw UserError(fmt::format("tls_server_config.{}: {:?} is none of TLS10, TLS11, TLS12, TLS13", key, value));
}

std::optional<TlsServerConfig> tls_of(const YAML::Node& node, const std::filesystem::path& dir) {
  if (!node || node.IsNull()) return std::nullopt;
  if (!node.IsMap()) throw UserError("tls_server_config must be a mapping");
  check_keys(node, "tls_server_config.",
             {"cert_file", "key_file", "client_auth_type", "client_ca_file", "min_version", "max_version"},
             {"cert", "key", "client_ca", "cipher_suites", "curve_preferences", "prefer_server_cipher_suites",
              "client_allowed_sans"});
  TlsServerConfig tls;
  const auto text = [&](const char* key) {
    return node[key] ? text_of(node[key], std::string("tls_server_config.") + key) : std::string();
  };
  const std::string cert = text("cert_file"), key = text("key_file");
  // As the toolkit does: a section without cert and key means plain HTTP.
  if (cert.empty() && key.empty()) {
    if (!text("client_ca_file").empty() || !text("client_auth_type").empty())
      throw UserError("tls_server_config: client certificates are configured without cert_file and key_file");
    return std::nullopt;
  }
  if (cert.empty()) throw UserError("tls_server_config: missing cert_file");
  if (key.empty()) throw UserError("tls_server_config: missing key_file");
  tls.cert_file = path_in(dir, cert);
  tls.key_file = path_in(dir, key);
  tls.client_auth = client_auth_of(text("client_auth_type"));
  tls.client_ca_file = path_in(dir, text("client_ca_file"));
  if (!text("min_version").empty()) tls.min_version = version_of(text("min_version"), "min_version");
  if (!text("max_version").empty()) tls.max_version = version_of(text("max_version"), "max_version");
  if (tls.max_version && *tls.max_version < tls.min_version)
    throw UserError("tls_server_config: max_version is below min_version");
  const bool verifies = tls.client_auth == ClientAuth::verify_if_given || tls.client_auth == ClientAuth::require_and_verify;
  if (verifies && tls.client_ca_file.empty())
    throw UserError("tls_server_config: client_auth_type verifies client certificates but client_ca_file is not set");
  if (!verifies && !tls.client_ca_file.empty())
    throw UserError("tls_server_config: client_ca_file is set but client_auth_type does not verify client certificates");
  return tls;
}

}  // namespace

bool is_bcrypt_hash(const std::string& hash) {
  // $2b$10$ + 22 characters of salt + 31 of hash, in bcrypt's base64 alphabet.
  if (hash.size() != 60 || hash[0] != '$' || hash[1] != '2' || hash[3] != '$' || hash[6] != '$') return false;
  if (hash[2] != 'a' && hash[2] != 'b' && hash[2] != 'y') return false;
  if (hash[4] < '0' || hash[4] > '3' || hash[5] < '0' || hash[5] > '9') return false;
  const int cost = (hash[4] - '0') * 10 + (hash[5] - '0');
  if (cost < 4 || cost > 31) return false;
  for (size_t i = 7; i < hash.size(); ++i) {
    const char c = hash[i];
    if (!(c == '.' || c == '/' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
      return false;
  }
  return true;
}

WebConfig parse_web_config(const std::string& yaml, const std::filesystem::path& dir) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    throw UserError(fmt::format("not YAML: {}", e.what()));
  }
  WebConfig config;
  if (!root || root.IsNull()) return config;  // an empty file: plain HTTP, no authentication
  if (!root.IsMap()) throw UserError("the top level must be a mapping");
  try {
    check_keys(root, "", {"tls_server_config", "basic_auth_users", "http_server_config"}, {"rate_limit"});
    config.tls = tls_of(root["tls_server_config"], dir);
    if (const YAML::Node http = root["http_server_config"]; http && !http.IsNull()) {
      if (!http.IsMap()) throw UserError("http_server_config must be a mapping");
      // tcpsight speaks HTTP/1.1 only, which is what http2: false asks for; true is the toolkit's default.
      check_keys(http, "http_server_config.", {"http2"}, {"headers"});
    }
    if (const YAML::Node users = root["basic_auth_users"]; users && !users.IsNull()) {
      if (!users.IsMap()) throw UserError("basic_auth_users must be a mapping of user names to bcrypt hashes");
      for (const auto& entry : users) {
        const std::string name = entry.first.as<std::string>();
        const std::string hash = text_of(entry.second, "basic_auth_users." + name);
        if (name.empty() || name.find(':') != std::string::npos)
          throw UserError(fmt::format("basic_auth_users: {:?} is not a user name (empty or with ':')", name));
        if (!is_bcrypt_hash(hash))
          throw UserError(fmt::format("basic_auth_users.{}: not a bcrypt hash ($2a$, $2b$ or $2y$)", name));
        config.users.emplace(name, hash);
      }
    }
  } catch (const YAML::Exception& e) {
    throw UserError(fmt::format("unexpected value: {}", e.what()));
  }
  return config;
}

WebConfig load_web_config(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw UserError(fmt::format("web config {}: cannot read it: {}", file.string(), std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  try {
    return parse_web_config(text.str(), file.parent_path());
  } catch (const UserError& e) {
    throw UserError(fmt::format("web config {}: {}", file.string(), e.what()));
  }
}

}  // namespace tcpsight
