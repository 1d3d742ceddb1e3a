#include "serve/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/x509.h>

#include <fmt/format.h>

#include <string>

#include "core/errors.hpp"

namespace tcpsight {

namespace {

// OpenSSL's queued errors as one line, oldest first; the queue is left empty.
std::string openssl_errors() {
  std::string text;
  for (unsigned long e; (e = ERR_get_error()) != 0;) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!text.empty()) text += "; ";
    text += buf;
  }
  return text.empty() ? "unknown error" : text;
}

[[noreturn]] void fail(const std::string& what) {
  throw UserError(fmt::format("tls_server_config: {}: {}", what, openssl_errors()));
}

int version_constant(TlsVersion v) {
  switch (v) {
    case TlsVersion::tls10: return TLS1_VERSION;
    case TlsVersion::tls11: return TLS1_1_VERSION;
    case TlsVersion::tls12: return TLS1_2_VERSION;
    case TlsVersion::tls13: return TLS1_3_VERSION;
  }
  return TLS1_2_VERSION;
}

// RequestClientCert and RequireAnyClientCert take any certificate, verified or not.
int accept_any_certificate(int, X509_STORE_CTX*) { return 1; }

}  // namespace

SslContext make_tls_context(const TlsServerConfig& tls) {
  ERR_clear_error();
  SslContext ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) fail("cannot make an OpenSSL context");
  SSL_CTX* c = ctx.get();
  if (SSL_CTX_set_min_proto_version(c, version_constant(tls.min_version)) != 1) fail("min_version");
  if (tls.max_version && SSL_CTX_set_max_proto_version(c, version_constant(*tls.max_version)) != 1) fail("max_version");
  // TLS 1.0/1.1 need security level 0 in OpenSSL 3; a config that asks for them gets them.
  if (tls.min_version < TlsVersion::tls12) SSL_CTX_set_security_level(c, 0);
  SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Idle connections give their buffers back: up to 1024 of them may wait between requests.
  SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_use_certificate_chain_file(c, tls.cert_file.c_str()) != 1) fail("cert_file " + tls.cert_file.string());
  const std::string mismatch =
      fmt::format("key_file {} does not match cert_file {}", tls.key_file.string(), tls.cert_file.string());
  if (SSL_CTX_use_PrivateKey_file(c, tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1)
    fail(ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH ? mismatch
                                                                            : "key_file " + tls.key_file.string());
  if (SSL_CTX_check_private_key(c) != 1) fail(mismatch);

  switch (tls.client_auth) {
    case ClientAuth::none: SSL_CTX_set_verify(c, SSL_VERIFY_NONE, nullptr); break;
    case ClientAuth::request: SSL_CTX_set_verify(c, SSL_VERIFY_PEER, accept_any_certificate); break;
    case ClientAuth::require_any:
      SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any_certificate);
      break;
    case ClientAuth::verify_if_given: SSL_CTX_set_verify(c, SSL_VERIFY_PEER, nullptr); break;
    case ClientAuth::require_and_verify:
      SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      break;
  }
  if (!tls.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(c, tls.client_ca_file.c_str(), nullptr) != 1)
      fail("client_ca_file " + tls.client_ca_file.string());
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.client_ca_file.c_str());
    if (!names) fail("client_ca_file " + tls.client_ca_file.string() + " names no CA");
    SSL_CTX_set_client_CA_list(c, names);  // takes ownership
  }
  // Sessions are not resumed: each connection is checked against the certificates of the moment.
  SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(c, 0);
  return ctx;
}

}  // namespace tcpsight
