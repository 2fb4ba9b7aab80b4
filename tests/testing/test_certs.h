// TestCerts: a throw-away PKI made at test time with the OpenSSL API, for
// TLS tests: a CA, a server certificate for 127.0.0.1/localhost and a client
// certificate both signed by it, and a self-signed "rogue" client
// certificate that the CA never signed. EC P-256 keys, valid for a day.
#pragma once

#include <string>

namespace tenantkv::testing {

struct TestCerts {
  std::string dir;  // where the PEM files are
  std::string ca_cert;
  std::string server_cert, server_key;
  std::string client_cert, client_key;
  std::string rogue_cert, rogue_key;
};

// Writes the files into `dir` (which must exist). Fails the test on error.
void MakeTestCerts(const std::string& dir, TestCerts* out);

}  // namespace tenantkv::testing
