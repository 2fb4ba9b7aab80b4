// Cryptographically secure random bytes (OpenSSL's DRBG). Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "crypto/status.h"

namespace tenantkv::crypto {

// Straight from the DRBG: for keys, salts, tokens and anything secret.
Status RandomBytes(uint8_t* out, size_t n);
// `n` random bytes rendered as lowercase hex (2n characters).
Result<std::string> RandomHex(size_t n);

// Random bytes that are public once used: AEAD nonces. Drawn from a
// per-thread buffer that RAND_bytes refills kNonceBufferBytes at a time, so
// a seal does not pay a DRBG call for its 12 bytes; the distribution is
// RAND_bytes' own. Every byte is handed out once and wiped as it leaves the
// buffer. A forked child discards the buffer it inherited (it would
// otherwise repeat the parent's next nonces). Never use it for secrets:
// the buffered bytes sit in ordinary memory until they are taken.
inline constexpr size_t kNonceBufferBytes = 4096;
Status RandomNonce(uint8_t* out, size_t n);

}  // namespace tenantkv::crypto
