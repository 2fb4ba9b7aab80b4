// An in-memory KeyProvider for tests and tools: keys are random per instance
// and gone with it.
#pragma once

#include <mutex>

#include "crypto/aead.h"
#include "crypto/key_provider.h"
#include "crypto/master_keyring.h"

namespace tenantkv::crypto {

class MemoryKeyProvider final : public KeyProvider {
 public:
  // Starts with one random master key (version 1).
  MemoryKeyProvider() { (void)AddVersion(); }

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
  Result<uint32_t> AddVersion() override {
    std::lock_guard<std::mutex> lock(mu_);
    TKV_ASSIGN_OR_RETURN(SecretBytes key, SecretBytes::Random(kAeadKeyBytes));
    const uint32_t version = ++last_;
    ring_.Add(version, std::move(key));
    return version;
  }
  Status Retire(uint32_t version) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (version == ring_.Current() && ring_.Has(version)) {
      return Status::FailedPrecondition("the current master key cannot be retired", "current_master_key");
    }
    if (!ring_.Erase(version)) {
      return Status::NotFound("no master key version " + std::to_string(version), "master_key_not_found");
    }
    return Status::Ok();
  }
  std::string Describe() const override { return "memory"; }

 private:
  std::mutex mu_;      // one AddVersion/Retire at a time
  uint32_t last_ = 0;  // GUARDED_BY(mu_): highest version ever made
  MasterKeyring ring_;
};

}  // namespace tenantkv::crypto
