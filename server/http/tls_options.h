// TlsOptions: transport security of the HTTP front. TLS is on when
// tls_cert_file is set (then tls_key_file is required too): TLS 1.2 and 1.3
// only (see tls_context.h). None change at run time.
#pragma once

#include <string>

#include "crypto/status.h"

namespace CLI {
class App;
}  // namespace CLI

namespace tenantkv::server {

struct TlsOptions {
  std::string tls_cert_file;             // PEM server certificate chain (leaf first)
  std::string tls_key_file;              // PEM private key of the leaf certificate
  std::string tls_client_ca_file;        // PEM CA(s) whose client certificates are accepted

  bool tls() const { return !tls_cert_file.empty(); }
  // InvalidArgument naming the first bad setting.
  Status Validate() const;
  // --tls-cert, --tls-key, --tls-client-ca, bound to this struct's fields.
  void AddFlags(CLI::App& app);
};

}  // namespace tenantkv::server
