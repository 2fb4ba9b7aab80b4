#include "server/http/tls_options.h"

#include <CLI/CLI.hpp>

namespace tenantkv::server {

Status TlsOptions::Validate() const {
  if (tls_cert_file.empty() != tls_key_file.empty()) {
    return Status::InvalidArgument("--tls-cert and --tls-key must be given together");
  }
  if (!tls_client_ca_file.empty() && !tls()) {
    return Status::InvalidArgument("--tls-client-ca needs --tls-cert and --tls-key");
  }
  return Status::Ok();
}

void TlsOptions::AddFlags(CLI::App& app) {
  app.add_option("--tls-cert", tls_cert_file, "PEM server certificate chain: serve HTTPS (TLS 1.2+)");
  app.add_option("--tls-key", tls_key_file, "PEM private key of --tls-cert");
  app.add_option("--tls-client-ca", tls_client_ca_file,
                 "PEM CA file: client certificates it signed are verified (others refused)");
}

}  // namespace tenantkv::server
