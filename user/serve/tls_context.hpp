// An OpenSSL server context made from a web config's tls_server_config: certificate chain, key,
// client-certificate policy and protocol versions. The files are read when it is made.
#pragma once

#include <openssl/ssl.h>

#include <memory>

#include "serve/web_config.hpp"

namespace tcpsight {

struct SslCtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using SslContext = std::unique_ptr<SSL_CTX, SslCtxFree>;

// Throws UserError naming the file and OpenSSL's reason (a missing file, a key that does not
// match the certificate, an unreadable CA file).
SslContext make_tls_context(const TlsServerConfig& tls);

}  // namespace tcpsight
