// KeyProvider: where master keys come from.
//
// A master key wraps tenants' data keys; it never encrypts values itself.
// Master keys are versioned so that they can be rotated: CurrentVersion()
// wraps new data keys, older versions stay readable until nothing is wrapped
// under them. Implementations must be thread-safe. Implementations: the
// file provider (embedded default) and an in-memory one for tests; a PKCS#11
// (HSM) provider plugs in behind the same interface.
#pragma once

#include <cstdint>
#include <string>

#include "crypto/secret_bytes.h"
#include "crypto/status.h"

namespace tenantkv::crypto {

class KeyProvider {
 public:
  virtual ~KeyProvider() = default;

  // The version that wraps new data keys (>= 1).
  virtual uint32_t CurrentVersion() const = 0;

  // A copy of master key `version`, in locked memory owned by the caller.
  // NotFound if the provider has no such version; Internal/Unavailable if
  // the backing store failed.
  virtual Result<SecretBytes> GetKey(uint32_t version) const = 0;

  // Where the keys live, for logs and /readyz (never key bytes).
  virtual std::string Describe() const = 0;
};

}  // namespace tenantkv::crypto
