#include "crypto/openssl_error.h"

#include <openssl/err.h>

#include <string>

namespace tenantkv::crypto {

Status OpenSslError(std::string_view what) {
  std::string msg(what);
  unsigned long err = 0;
  bool first = true;
  while ((err = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(err, buf, sizeof(buf));
    msg += first ? ": " : "; ";
    msg += buf;
    first = false;
  }
  return Status::Internal(msg, "crypto_error");
}

}  // namespace tenantkv::crypto
