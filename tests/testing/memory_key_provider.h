// An in-memory KeyProvider for tests and tools: keys are random per instance
// and gone with it.
#pragma once

#include <mutex>

#include "crypto/aead.h"
#include "crypto/keys/master_keyring.h"

namespace tenantkv::crypto {

class MemoryKeyProvider final : public RingKeyProvider {
 public:
  // Starts with one random master key (version 1).
  MemoryKeyProvider() { (void)AddVersion(); }

  Result<uint32_t> AddVersion() override {
    std::lock_guard<std::mutex> lock(mu_);
    TKV_ASSIGN_OR_RETURN(SecretBytes key, SecretBytes::Random(kAeadKeyBytes));
    const uint32_t version = ++last_;
    ring_.Add(version, std::move(key));
    return version;
  }
  Status Retire(uint32_t version) override {
    std::lock_guard<std::mutex> lock(mu_);
    TKV_RETURN_IF_ERROR(CheckRetirable(version));
    ring_.Erase(version);
    return Status::Ok();
  }
  std::string Describe() const override { return "memory"; }

 private:
  std::mutex mu_;      // one AddVersion/Retire at a time
  uint32_t last_ = 0;  // GUARDED_BY(mu_): highest version ever made
};

}  // namespace tenantkv::crypto
