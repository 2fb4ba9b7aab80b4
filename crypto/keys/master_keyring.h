// MasterKeyring: master key versions held in this process's locked memory,
// for the providers that keep their keys outside an HSM (file, memory).
// Wraps with crypto/key_wrap.h, so blobs made by earlier releases (which
// called WrapKey with the raw master key) still unwrap. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/keys/key_provider.h"
#include "crypto/mutex.h"
#include "crypto/secret_bytes.h"
#include "crypto/status.h"

namespace tenantkv::crypto {

class MasterKeyring {
 public:
  MasterKeyring() = default;
  explicit MasterKeyring(std::map<uint32_t, SecretBytes> keys) : keys_(std::move(keys)) {}

  // 0 when empty.
  uint32_t Current() const EXCLUDES(mu_);
  std::vector<uint32_t> Versions() const EXCLUDES(mu_);
  bool Has(uint32_t version) const EXCLUDES(mu_);

  Result<std::string> Wrap(uint32_t version, std::string_view context, const SecretBytes& plain) const
      EXCLUDES(mu_);
  Result<SecretBytes> Unwrap(uint32_t version, std::string_view context, std::string_view wrapped) const
      EXCLUDES(mu_);

  // Calls `fn` with every (version, key) ascending, under the lock (to
  // write the keys out); `fn` must not call back into the ring.
  template <typename Fn>
  Status ForEach(Fn&& fn) const EXCLUDES(mu_) {
    MutexLock lock(mu_);
    for (const auto& [v, k] : keys_) TKV_RETURN_IF_ERROR(fn(v, k));
    return Status::Ok();
  }

  void Add(uint32_t version, SecretBytes key) EXCLUDES(mu_);
  // Wipes and forgets `version`; false if it was not there.
  bool Erase(uint32_t version) EXCLUDES(mu_);

 private:
  mutable Mutex mu_;
  std::map<uint32_t, SecretBytes> keys_ GUARDED_BY(mu_);
};

// The part of a KeyProvider that a MasterKeyring answers (file and memory
// providers): versions, wrap and unwrap from the ring, and the rule for
// which version may be retired. Subclasses add making and retiring keys.
class RingKeyProvider : public KeyProvider {
 public:
  uint32_t CurrentVersion() const override { return ring_.Current(); }
  std::vector<uint32_t> Versions() const override { return ring_.Versions(); }
  Result<std::string> Wrap(uint32_t version, std::string_view context,
                           const SecretBytes& plain) const override {
    return ring_.Wrap(version, context, plain);
  }
  Result<SecretBytes> Unwrap(uint32_t version, std::string_view context,
                             std::string_view wrapped) const override {
    return ring_.Unwrap(version, context, wrapped);
  }

 protected:
  RingKeyProvider() = default;
  explicit RingKeyProvider(std::map<uint32_t, SecretBytes> keys) : ring_(std::move(keys)) {}

  // NotFound("master_key_not_found") for a version the ring does not hold,
  // FailedPrecondition("current_master_key") for the current one.
  Status CheckRetirable(uint32_t version) const {
    if (!ring_.Has(version)) {
      return Status::NotFound("no master key version " + std::to_string(version), "master_key_not_found");
    }
    if (version == ring_.Current()) {
      return Status::FailedPrecondition("the current master key cannot be retired", "current_master_key");
    }
    return Status::Ok();
  }

  MasterKeyring ring_;
};

}  // namespace tenantkv::crypto
