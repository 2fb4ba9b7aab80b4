#include "server/http/tls_context.h"

#include <openssl/err.h>
#include <openssl/x509.h>

#include "crypto/openssl_error.h"

namespace tenantkv::server {
namespace {

// TLS 1.2 suites: ECDHE only (forward secrecy), AEAD only. TLS 1.3 suites
// are all AEAD with forward secrecy; OpenSSL's defaults are kept.
constexpr char kTls12Ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

Status TlsError(const std::string& what) {
  Status s = crypto::OpenSslError(what);
  return Status::FailedPrecondition(s.message(), "tls_config");
}

}  // namespace

Status ConfigureServerTls(SSL_CTX* ctx, const TlsFiles& files) {
  ERR_clear_error();
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) return TlsError("set TLS 1.2 minimum");
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                               SSL_OP_CIPHER_SERVER_PREFERENCE |
                               SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION);
  if (SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1) return TlsError("set TLS 1.2 ciphers");
  if (SSL_CTX_use_certificate_chain_file(ctx, files.cert_file.c_str()) != 1) {
    return TlsError("load TLS certificate " + files.cert_file);
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, files.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return TlsError("load TLS key " + files.key_file);
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return TlsError("TLS key " + files.key_file + " does not match " + files.cert_file);
  }
  if (files.client_ca_file.empty()) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    return Status::Ok();
  }
  if (SSL_CTX_load_verify_locations(ctx, files.client_ca_file.c_str(), nullptr) != 1) {
    return TlsError("load TLS client CA " + files.client_ca_file);
  }
  STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(files.client_ca_file.c_str());
  if (names == nullptr) return TlsError("read TLS client CA names " + files.client_ca_file);
  SSL_CTX_set_client_CA_list(ctx, names);  // takes ownership
  // Ask, verify what is sent, but let clients without a certificate in.
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_verify_depth(ctx, 4);
  // Resumed sessions keep their verified peer; OpenSSL needs a context id
  // for that when peers are verified.
  static const unsigned char kSessionContext[] = "tenantkv";
  if (SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof(kSessionContext) - 1) != 1) {
    return TlsError("set TLS session context");
  }
  return Status::Ok();
}

bool HasVerifiedClientCert(const SSL* ssl) {
  if (ssl == nullptr) return false;
  // SSL_get0_peer_certificate does not take a reference.
  if (SSL_get0_peer_certificate(ssl) == nullptr) return false;
  return SSL_get_verify_result(ssl) == X509_V_OK;
}

}  // namespace tenantkv::server
