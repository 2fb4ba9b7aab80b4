// Keys derived from an operator's passphrase (PBKDF2-HMAC-SHA256, OpenSSL).
//
// Used for handing a tenant's export wrapping key from one node to another:
// the key travels wrapped under a passphrase-derived key, so neither the
// handover blob nor the export alone opens anything. Thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "crypto/secret_bytes.h"
#include "crypto/status.h"

namespace tenantkv::crypto {

// OWASP's 2023 figure for PBKDF2-HMAC-SHA256.
inline constexpr uint32_t kPassphraseIterations = 600000;
inline constexpr size_t kPassphraseSaltBytes = 16;
inline constexpr size_t kMinPassphraseBytes = 12;
inline constexpr size_t kMaxPassphraseBytes = 1024;

// InvalidArgument("weak_passphrase") unless kMin..kMaxPassphraseBytes long.
Status ValidatePassphrase(std::string_view passphrase);

// A 32-byte key from `passphrase` and `salt` (>= 16 bytes) with `iterations`
// in [100000, 10000000]; InvalidArgument outside those bounds.
Result<SecretBytes> DeriveKeyFromPassphrase(std::string_view passphrase, std::string_view salt,
                                            uint32_t iterations);

}  // namespace tenantkv::crypto
