#include "engine/keyring.h"

#include <mutex>

namespace tenantkv::engine {

void Keyring::Add(uint32_t version, crypto::SecretBytes key, bool make_current) {
  auto ptr = std::make_shared<const crypto::SecretBytes>(std::move(key));
  std::unique_lock lock(mu_);
  keys_[version] = std::move(ptr);
  if (make_current) current_ = version;
}

KeyPtr Keyring::Get(uint32_t version) const {
  std::shared_lock lock(mu_);
  auto it = keys_.find(version);
  return it == keys_.end() ? nullptr : it->second;
}

std::pair<uint32_t, KeyPtr> Keyring::Current() const {
  std::shared_lock lock(mu_);
  auto it = keys_.find(current_);
  if (it == keys_.end()) return {0, nullptr};
  return {current_, it->second};
}

void Keyring::Remove(uint32_t version) {
  std::unique_lock lock(mu_);
  if (version != current_) keys_.erase(version);
}

void Keyring::DestroyAll() {
  std::unique_lock lock(mu_);
  keys_.clear();
  current_ = 0;
}

}  // namespace tenantkv::engine
