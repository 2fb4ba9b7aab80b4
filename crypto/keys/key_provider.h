// KeyProvider: where master keys live, and the only code that uses them.
//
// A master key wraps tenants' data keys; it never encrypts values itself and
// never leaves its provider: callers hand in a data key (or a wrapped one)
// and get it back wrapped (or unwrapped), so an HSM-backed provider keeps
// its keys inside the HSM. Master keys are versioned so that they can be
// rotated: CurrentVersion() wraps new data keys, older versions keep
// unwrapping until nothing is wrapped under them, then they are retired
// (destroyed). Implementations must be thread-safe. Implementations: the
// file provider (embedded default), PKCS#11 (HSM), and an in-memory one for
// tests.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/secret_bytes.h"
#include "crypto/status.h"

namespace tenantkv::crypto {

class KeyProvider {
 public:
  virtual ~KeyProvider() = default;

  // The version that wraps new data keys (>= 1).
  virtual uint32_t CurrentVersion() const = 0;

  // Every version the provider holds, ascending (the current one last).
  virtual std::vector<uint32_t> Versions() const = 0;

  // `plain` wrapped under master key `version`, bound to `context` (the
  // caller's AAD: tenant, key version, master version). NotFound if there is
  // no such version; Internal/Unavailable if the backing store failed.
  virtual Result<std::string> Wrap(uint32_t version, std::string_view context,
                                   const SecretBytes& plain) const = 0;

  // The inverse of Wrap. DataLoss("unwrap_failed") for a wrong version or
  // context or a tampered blob; NotFound if there is no such version.
  virtual Result<SecretBytes> Unwrap(uint32_t version, std::string_view context,
                                     std::string_view wrapped) const = 0;

  // Makes a new master key version, durable before it returns, and makes it
  // current; returns its number (greater than every version ever made).
  virtual Result<uint32_t> AddVersion() = 0;

  // Destroys master key `version` for good (durable before it returns);
  // whatever was wrapped under it no longer unwraps. FailedPrecondition
  // ("current_master_key") for the current version; NotFound if absent.
  virtual Status Retire(uint32_t version) = 0;

  // Where the keys live, for logs and /readyz (never key bytes or PINs).
  virtual std::string Describe() const = 0;
};

}  // namespace tenantkv::crypto
