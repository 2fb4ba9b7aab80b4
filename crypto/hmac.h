// HMAC-SHA256 (OpenSSL EVP_MAC). Thread-safe.
#pragma once

#include <string_view>

#include "crypto/hash.h"
#include "crypto/status.h"

namespace tenantkv::crypto {

// HMAC-SHA256 of `data` under `key` (any length). Internal (the OpenSSL
// error, never the key) if the library fails.
Result<Sha256Digest> HmacSha256(std::string_view key, std::string_view data);

}  // namespace tenantkv::crypto
