// TLS for the HTTP front: the server's SSL_CTX and the client-certificate
// check of admin routes.
//
// Policy: TLS 1.2 and 1.3 only; for TLS 1.2 only ECDHE key exchange with
// AEAD ciphers (forward secrecy, no CBC, no RSA key transport); no
// compression, no renegotiation; the server's cipher order wins.
// With a client CA, the server asks every client for a certificate but does
// not insist: a client that sends none still connects (data routes use
// tokens only), and a client whose certificate does not verify against the
// CA is refused during the handshake.
#pragma once

#include <openssl/ssl.h>

#include <string>

#include "crypto/status.h"

namespace tenantkv::server {

struct TlsFiles {
  std::string cert_file;       // PEM chain, leaf first
  std::string key_file;        // PEM private key of the leaf
  std::string client_ca_file;  // PEM CA(s) for client certificates; "" = none asked for
};

// Configures `ctx` (a fresh server context) with the policy above. Fails
// (FailedPrecondition "tls_config", naming the file and OpenSSL's reason)
// if a file cannot be read, the key does not match the certificate, or the
// CA file holds no certificate. Never logs key material.
Status ConfigureServerTls(SSL_CTX* ctx, const TlsFiles& files);

// True if `ssl` (a server connection after its handshake) holds a client
// certificate that verified against the configured client CA.
bool HasVerifiedClientCert(const SSL* ssl);

}  // namespace tenantkv::server
