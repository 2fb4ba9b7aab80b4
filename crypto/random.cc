#include "crypto/random.h"

#include <openssl/rand.h>

#include "crypto/hash.h"
#include "crypto/openssl_error.h"

namespace tenantkv::crypto {

Status RandomBytes(uint8_t* out, size_t n) {
  if (n == 0) return Status::Ok();
  if (RAND_bytes(out, static_cast<int>(n)) != 1) return OpenSslError("RAND_bytes");
  return Status::Ok();
}

Result<std::string> RandomHex(size_t n) {
  std::string raw(n, '\0');
  TKV_RETURN_IF_ERROR(RandomBytes(reinterpret_cast<uint8_t*>(raw.data()), n));
  return HexEncode(raw);
}

}  // namespace tenantkv::crypto
