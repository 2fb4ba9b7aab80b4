// Wrapping of data keys under a master key (AES-256-GCM).
//
// Wrapped form: format byte 0x01 | 96-bit random nonce | ciphertext | tag.
// The AAD binds the wrap to its context (tenant id, data-key version,
// master-key version), so a wrapped key moved to another tenant or version
// fails to unwrap. Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "crypto/secret_bytes.h"
#include "crypto/status.h"

namespace tenantkv::crypto {

// Every key wrap's AAD starts with this, then the caller's context (the
// PKCS#11 provider's wraps use it too).
inline constexpr char kWrapAadPrefix[] = "tenantkv/wrap/v1|";

Result<std::string> WrapKey(const SecretBytes& master, std::string_view context,
                            const SecretBytes& key);

// DataLoss("unwrap_failed") on a wrong master key, context or tampered blob.
Result<SecretBytes> UnwrapKey(const SecretBytes& master, std::string_view context,
                              std::string_view wrapped);

}  // namespace tenantkv::crypto
