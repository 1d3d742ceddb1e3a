// The web config file (exporter toolkit format) and basic auth: what is accepted, what is refused
// and why, with bcrypt hashes made by libxcrypt itself.
#include <crypt.h>
#include <gtest/gtest.h>

#include <string>

#include "core/errors.hpp"
#include "serve/basic_auth.hpp"
#include "serve/web_config.hpp"

namespace tcpsight {
namespace {

std::string bcrypt(const std::string& password, const char* prefix = "$2b$") {
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  EXPECT_NE(crypt_gensalt_rn(prefix, 4, nullptr, 0, setting, sizeof setting), nullptr);
  crypt_data data{};
  return crypt_r(password.c_str(), setting, &data);
}

// The message of the UserError that parsing `yaml` throws; empty when it parses.
std::string refusal(const std::string& yaml) {
  try {
    parse_web_config(yaml, "/etc/tcpsight");
    return "";
  } catch (const UserError& e) {
    return e.what();
  }
}

std::string basic(const std::string& base64) { return "Basic " + base64; }

TEST(WebConfig, AToolkitConfigWithTlsAndUsersIsReadWithPathsRelativeToTheFile) {
  const std::string hash = bcrypt("pw");
  const WebConfig c = parse_web_config(
      "tls_server_config:\n  cert_file: tls/server.crt\n  key_file: /abs/server.key\n"
      "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.pem\n  min_version: TLS13\n"
      "http_server_config:\n  http2: false\n"
      "basic_auth_users:\n  alice: " + hash + "\n  bob: '" + bcrypt("x", "$2y$") + "'\n",
      "/etc/tcpsight");
  ASSERT_TRUE(c.tls);
  EXPECT_EQ(c.tls->cert_file, "/etc/tcpsight/tls/server.crt");
  EXPECT_EQ(c.tls->key_file, "/abs/server.key");
  EXPECT_EQ(c.tls->client_ca_file, "/etc/tcpsight/ca.pem");
  EXPECT_EQ(c.tls->client_auth, ClientAuth::require_and_verify);
  EXPECT_EQ(c.tls->min_version, TlsVersion::tls13);
  EXPECT_FALSE(c.tls->max_version);
  ASSERT_EQ(c.users.size(), 2u);
  EXPECT_EQ(c.users.at("alice"), hash);
}

TEST(WebConfig, EmptyFilesAndEmptyTlsSectionsMeanPlainHttp) {
  EXPECT_FALSE(parse_web_config("", "/").tls);
  EXPECT_FALSE(parse_web_config("tls_server_config:\n", "/").tls);
  EXPECT_FALSE(parse_web_config("tls_server_config: {}\n", "/").tls);
  EXPECT_EQ(parse_web_config("tls_server_config:\n  cert_file: a\n  key_file: b\n", "/").tls->min_version,
            TlsVersion::tls12)
      << "the toolkit's default";
}

TEST(WebConfig, WhatItCannotHonourIsRefusedByName) {
  const std::string tls = "tls_server_config:\n  cert_file: c\n  key_file: k\n";
  EXPECT_EQ(refusal(tls + "  kee_file: k\n"), "unknown key tls_server_config.kee_file");
  EXPECT_EQ(refusal("tls_config:\n  cert_file: c\n"), "unknown key tls_config");
  EXPECT_EQ(refusal(tls + "  cipher_suites: [TLS_AES_128_GCM_SHA256]\n"),
            "tls_server_config.cipher_suites is not supported by tcpsight");
  EXPECT_EQ(refusal("http_server_config:\n  headers:\n    X-Frame-Options: deny\n"),
            "http_server_config.headers is not supported by tcpsight");
  EXPECT_EQ(refusal("tls_server_config:\n  cert_file: c\n"), "tls_server_config: missing key_file");
  EXPECT_EQ(refusal("tls_server_config:\n  key_file: k\n"), "tls_server_config: missing cert_file");
  EXPECT_NE(refusal(tls + "  min_version: TLS14\n").find("TLS14"), std::string::npos);
  EXPECT_NE(refusal(tls + "  min_version: TLS13\n  max_version: TLS12\n").find("below"), std::string::npos);
  EXPECT_NE(refusal(tls + "  client_auth_type: Sometimes\n").find("Sometimes"), std::string::npos);
  EXPECT_NE(refusal(tls + "  client_auth_type: RequireAndVerifyClientCert\n").find("client_ca_file is not set"),
            std::string::npos);
  EXPECT_NE(refusal(tls + "  client_ca_file: ca.pem\n").find("does not verify"), std::string::npos);
  EXPECT_NE(refusal("basic_auth_users:\n  alice: secret\n").find("not a bcrypt hash"), std::string::npos);
  EXPECT_NE(refusal("basic_auth_users:\n  alice: $1$abc$def\n").find("not a bcrypt hash"), std::string::npos)
      << "MD5 crypt";
  EXPECT_NE(refusal("basic_auth_users:\n  'a:b': " + bcrypt("x") + "\n").find("not a user name"), std::string::npos);
  EXPECT_NE(refusal("basic_auth_users: [alice]\n").find("mapping"), std::string::npos);
  EXPECT_NE(refusal("tls_server_config: [\n").find("not YAML"), std::string::npos);
  EXPECT_NE(refusal("- a\n- b\n").find("top level"), std::string::npos);
  EXPECT_EQ(refusal(tls + "  cert_file: d\n"), "tls_server_config.cert_file is given twice");
  EXPECT_EQ(refusal("tls_server_config:\n  cert_file: [a, b]\n  key_file: k\n"),
            "tls_server_config.cert_file must be a string");
}

TEST(WebConfig, BcryptHashesAreRecognisedByShape) {
  EXPECT_TRUE(is_bcrypt_hash(bcrypt("x")));
  EXPECT_TRUE(is_bcrypt_hash(bcrypt("x", "$2y$")));
  const std::string h = bcrypt("x");
  EXPECT_FALSE(is_bcrypt_hash(h.substr(0, 59)));
  EXPECT_FALSE(is_bcrypt_hash(std::string(h).replace(5, 1, "3")));  // cost 03
  EXPECT_FALSE(is_bcrypt_hash(std::string(h).replace(10, 1, "!")));
  EXPECT_FALSE(is_bcrypt_hash(std::string(h).replace(2, 1, "x")));
}

TEST(BasicAuth, HeadersAreParsedAsRfc7617Says) {
  // "alice:open sesame", "alice:" and ":pw" in base64
  const auto c = parse_basic_authorization(basic("YWxpY2U6b3BlbiBzZXNhbWU="));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->user, "alice");
  EXPECT_EQ(c->password, "open sesame");
  EXPECT_TRUE(parse_basic_authorization("bAsIc   YWxpY2U6b3BlbiBzZXNhbWU="));
  EXPECT_EQ(parse_basic_authorization(basic("YWxpY2U6"))->password, "");
  EXPECT_EQ(parse_basic_authorization(basic("OnB3"))->user, "");
  EXPECT_EQ(parse_basic_authorization(basic("YTpiOmM="))->password, "b:c") << "the first colon splits";
  EXPECT_FALSE(parse_basic_authorization("Bearer YWxpY2U6b3BlbiBzZXNhbWU="));
  EXPECT_FALSE(parse_basic_authorization(basic("YWxpY2U")));     // not a multiple of 4
  EXPECT_FALSE(parse_basic_authorization(basic("YWxp!2U6")));    // not base64
  EXPECT_FALSE(parse_basic_authorization(basic("YWxpY2U=")));    // "alice": no colon
  EXPECT_FALSE(parse_basic_authorization(basic("YT0=YWI6")));    // padding in the middle
  EXPECT_FALSE(parse_basic_authorization(basic("YTpiAGM=")));    // "a:b\0c": crypt(3) would cut it
  EXPECT_FALSE(parse_basic_authorization(""));
  EXPECT_FALSE(parse_basic_authorization("Basic"));
}

TEST(BasicAuth, OnlyTheRightPasswordOfAKnownUserIsAllowedAgainAndAgain) {
  BasicAuth auth;
  const std::map<std::string, std::string> users{{"alice", bcrypt("open sesame")}, {"bob", bcrypt("pw")}};
  const std::string alice = basic("YWxpY2U6b3BlbiBzZXNhbWU=");  // alice:open sesame
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(auth.allows(users, alice)) << "try " << i << " (the second is remembered)";
  EXPECT_FALSE(auth.allows(users, basic("YWxpY2U6b3BlbiBzZXNhbWY=")));  // alice:open sesamf
  EXPECT_FALSE(auth.allows(users, basic("Ym9iOm9wZW4gc2VzYW1l")));      // bob:open sesame
  EXPECT_FALSE(auth.allows(users, basic("ZXZlOm9wZW4gc2VzYW1l")));      // eve:open sesame
  EXPECT_FALSE(auth.allows(users, ""));
  // A remembered success does not outlive a change of the user's hash.
  const std::map<std::string, std::string> rotated{{"alice", bcrypt("new password")}};
  EXPECT_FALSE(auth.allows(rotated, alice));
}

}  // namespace
}  // namespace tcpsight
