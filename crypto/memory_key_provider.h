// An in-memory KeyProvider for tests and tools: keys are random per instance.
#pragma once

#include <mutex>
#include <vector>

#include "crypto/aead.h"
#include "crypto/key_provider.h"

namespace tenantkv::crypto {

class MemoryKeyProvider final : public KeyProvider {
 public:
  // Starts with one random master key (version 1).
  MemoryKeyProvider() { AddVersion(); }

  // Adds a new random version and makes it current; returns its number.
  uint32_t AddVersion() {
    std::lock_guard<std::mutex> lock(mu_);
    auto key = SecretBytes::Random(kAeadKeyBytes);
    keys_.push_back(std::move(key).value());
    return static_cast<uint32_t>(keys_.size());
  }

  uint32_t CurrentVersion() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<uint32_t>(keys_.size());
  }

  Result<SecretBytes> GetKey(uint32_t version) const override {
    std::lock_guard<std::mutex> lock(mu_);
    if (version == 0 || version > keys_.size()) return Status::NotFound("no such master key version");
    return keys_[version - 1].Clone();
  }

  std::string Describe() const override { return "memory"; }

 private:
  mutable std::mutex mu_;
  std::vector<SecretBytes> keys_;
};

}  // namespace tenantkv::crypto
