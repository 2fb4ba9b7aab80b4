// Cryptographically secure random bytes (OpenSSL's DRBG). Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "crypto/status.h"

namespace tenantkv::crypto {

Status RandomBytes(uint8_t* out, size_t n);
// `n` random bytes rendered as lowercase hex (2n characters).
Result<std::string> RandomHex(size_t n);

}  // namespace tenantkv::crypto
