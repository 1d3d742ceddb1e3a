// `serve --web.config.file`: TLS and basic auth, in the format of the Prometheus exporter toolkit
// (https://github.com/prometheus/exporter-toolkit/blob/master/docs/web-configuration.md), so one
// file serves node_exporter and tcpsight alike. Keys tcpsight does not implement are refused by
// name, never ignored: a setting that looks applied but is not would be a security hole.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace tcpsight {

enum class ClientAuth {
  none,                     // NoClientCert (the default)
  request,                  // RequestClientCert: asked for, not verified, not required
  require_any,              // RequireAnyClientCert: required, not verified
  verify_if_given,          // VerifyClientCertIfGiven: verified against client_ca_file when sent
  require_and_verify,       // RequireAndVerifyClientCert: required and verified
};

enum class TlsVersion { tls10, tls11, tls12, tls13 };

struct TlsServerConfig {
  std::filesystem::path cert_file;  // PEM, the chain; relative paths are relative to the config file
  std::filesystem::path key_file;
  ClientAuth client_auth = ClientAuth::none;
  std::filesystem::path client_ca_file;  // empty: none
  TlsVersion min_version = TlsVersion::tls12;  // the toolkit's default
  std::optional<TlsVersion> max_version;
};

struct WebConfig {
  std::optional<TlsServerConfig> tls;          // absent: plain HTTP
  std::map<std::string, std::string> users;    // name -> bcrypt hash; empty: no authentication
};

// Parses the YAML text of a web config file found in `dir`. Throws UserError naming the key.
WebConfig parse_web_config(const std::string& yaml, const std::filesystem::path& dir);
// Reads and parses the file. Throws UserError naming the file.
WebConfig load_web_config(const std::filesystem::path& file);

// Whether `hash` is a bcrypt hash crypt(3) accepts: $2a$, $2b$ or $2y$, cost 04-31, 53 characters.
bool is_bcrypt_hash(const std::string& hash);

}  // namespace tcpsight
