#include "engine/keys/keyring.h"

namespace tenantkv::engine {

void Keyring::SetLoader(Loader loader) {
  WriterLock lock(mu_);
  loader_ = std::move(loader);
}

void Keyring::Add(uint32_t version, crypto::SecretBytes key, bool make_current) {
  auto ptr = std::make_shared<const crypto::SecretBytes>(std::move(key));
  WriterLock lock(mu_);
  if (destroyed_) return;
  auto& entry = keys_[version];
  if (!entry) entry = std::make_unique<Entry>();
  entry->key = std::move(ptr);
  entry->Touch();
  if (make_current) current_ = version;
}

void Keyring::AddUnloaded(uint32_t version, bool make_current) {
  WriterLock lock(mu_);
  if (destroyed_) return;
  auto& entry = keys_[version];
  if (!entry) entry = std::make_unique<Entry>();
  if (make_current) current_ = version;
}

KeyPtr Keyring::Load(uint32_t version) const {
  Loader loader;
  {
    ReaderLock lock(mu_);
    if (destroyed_ || !loader_ || keys_.count(version) == 0) return nullptr;
    loader = loader_;
  }
  auto key = loader(version);  // storage read and unwrap: outside the lock
  if (!key.ok()) return nullptr;
  auto ptr = std::make_shared<const crypto::SecretBytes>(std::move(key).value());
  WriterLock lock(mu_);
  auto it = keys_.find(version);
  if (destroyed_ || it == keys_.end()) return nullptr;  // destroyed meanwhile
  if (it->second->key == nullptr) it->second->key = std::move(ptr);
  it->second->Touch();
  return it->second->key;
}

KeyPtr Keyring::Get(uint32_t version) const {
  {
    ReaderLock lock(mu_);
    auto it = keys_.find(version);
    if (it == keys_.end()) return nullptr;
    if (it->second->key != nullptr) {
      it->second->Touch();
      return it->second->key;
    }
  }
  return Load(version);
}

KeyPtr Keyring::GetLoaded(uint32_t version) const {
  ReaderLock lock(mu_);
  auto it = keys_.find(version);
  if (it == keys_.end() || it->second->key == nullptr) return nullptr;
  it->second->Touch();
  return it->second->key;
}

std::pair<uint32_t, KeyPtr> Keyring::Current() const {
  uint32_t version = 0;
  {
    ReaderLock lock(mu_);
    auto it = keys_.find(current_);
    if (it == keys_.end()) return {0, nullptr};
    version = current_;
    if (it->second->key != nullptr) {
      it->second->Touch();
      return {version, it->second->key};
    }
  }
  return {version, Load(version)};
}

bool Keyring::Knows(uint32_t version) const {
  ReaderLock lock(mu_);
  return keys_.count(version) != 0;
}

void Keyring::Remove(uint32_t version) {
  WriterLock lock(mu_);
  if (version != current_) keys_.erase(version);
}

void Keyring::DestroyAll() {
  WriterLock lock(mu_);
  keys_.clear();
  current_ = 0;
  destroyed_ = true;
  loader_ = nullptr;
}

size_t Keyring::EvictIdle(Clock::time_point now, Clock::duration idle) {
  const int64_t cutoff = (now - idle).time_since_epoch().count();
  WriterLock lock(mu_);
  if (!loader_) return 0;  // nothing could bring it back
  size_t evicted = 0;
  for (auto& [version, entry] : keys_) {
    if (entry->key != nullptr && entry->last_used_ns.load(std::memory_order_relaxed) < cutoff) {
      entry->key.reset();
      ++evicted;
    }
  }
  return evicted;
}

size_t Keyring::Loaded() const {
  ReaderLock lock(mu_);
  size_t n = 0;
  for (const auto& [version, entry] : keys_) n += entry->key != nullptr ? 1 : 0;
  return n;
}

}  // namespace tenantkv::engine
