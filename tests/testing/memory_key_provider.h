// An in-memory KeyProvider for tests and tools: keys are random per instance
// and gone with it.
#pragma once

#include "crypto/aead.h"
#include "crypto/keys/master_keyring.h"
#include "crypto/mutex.h"

namespace tenantkv::crypto {

class MemoryKeyProvider final : public RingKeyProvider {
 public:
  // Starts with one random master key (version 1).
  MemoryKeyProvider() { (void)AddVersion(); }

  Result<uint32_t> AddVersion() override {
    MutexLock lock(mu_);
    TKV_ASSIGN_OR_RETURN(SecretBytes key, SecretBytes::Random(kAeadKeyBytes));
    const uint32_t version = ++last_;
    ring_.Add(version, std::move(key));
    return version;
  }
  Status Retire(uint32_t version) override {
    MutexLock lock(mu_);
    TKV_RETURN_IF_ERROR(CheckRetirable(version));
    ring_.Erase(version);
    return Status::Ok();
  }
  std::string Describe() const override { return "memory"; }

 private:
  Mutex mu_;  // one AddVersion/Retire at a time
  uint32_t last_ GUARDED_BY(mu_) = 0;  // highest version ever made
};

}  // namespace tenantkv::crypto
