#include "engine/keys/keyring.h"

#include <algorithm>

namespace tenantkv::engine {

Keyring::Entry* Keyring::Find(uint32_t version) const {
  auto it = std::lower_bound(keys_.begin(), keys_.end(), version,
                             [](const auto& e, uint32_t v) { return e.first < v; });
  return it == keys_.end() || it->first != version ? nullptr : it->second.get();
}

Keyring::Entry& Keyring::FindOrMake(uint32_t version) {
  auto it = std::lower_bound(keys_.begin(), keys_.end(), version,
                             [](const auto& e, uint32_t v) { return e.first < v; });
  if (it == keys_.end() || it->first != version) it = keys_.emplace(it, version, std::make_unique<Entry>());
  return *it->second;
}

void Keyring::SetLoader(Loader loader) {
  MutexLock lock(mu_);
  loader_ = std::move(loader);
}

void Keyring::Add(uint32_t version, crypto::SecretBytes key, bool make_current) {
  auto ptr = std::make_shared<const crypto::SecretBytes>(std::move(key));
  MutexLock lock(mu_);
  if (destroyed_) return;
  Entry& entry = FindOrMake(version);
  entry.key = std::move(ptr);
  entry.Touch();
  if (make_current) current_ = version;
}

void Keyring::AddUnloaded(uint32_t version, bool make_current) {
  MutexLock lock(mu_);
  if (destroyed_) return;
  FindOrMake(version);
  if (make_current) current_ = version;
}

KeyPtr Keyring::Load(uint32_t version) const {
  Loader loader;
  {
    MutexLock lock(mu_);
    if (destroyed_ || !loader_ || Find(version) == nullptr) return nullptr;
    loader = loader_;
  }
  auto key = loader(version);  // storage read and unwrap: outside the lock
  if (!key.ok()) return nullptr;
  auto ptr = std::make_shared<const crypto::SecretBytes>(std::move(key).value());
  MutexLock lock(mu_);
  Entry* entry = Find(version);
  if (destroyed_ || entry == nullptr) return nullptr;  // destroyed meanwhile
  if (entry->key == nullptr) entry->key = std::move(ptr);
  entry->Touch();
  return entry->key;
}

KeyPtr Keyring::Get(uint32_t version) const {
  {
    MutexLock lock(mu_);
    const Entry* entry = Find(version);
    if (entry == nullptr) return nullptr;
    if (entry->key != nullptr) {
      entry->Touch();
      return entry->key;
    }
  }
  return Load(version);
}

KeyPtr Keyring::GetLoaded(uint32_t version) const {
  MutexLock lock(mu_);
  const Entry* entry = Find(version);
  if (entry == nullptr || entry->key == nullptr) return nullptr;
  entry->Touch();
  return entry->key;
}

std::pair<uint32_t, KeyPtr> Keyring::Current() const {
  uint32_t version = 0;
  {
    MutexLock lock(mu_);
    const Entry* entry = Find(current_);
    if (entry == nullptr) return {0, nullptr};
    version = current_;
    if (entry->key != nullptr) {
      entry->Touch();
      return {version, entry->key};
    }
  }
  return {version, Load(version)};
}

bool Keyring::Knows(uint32_t version) const {
  MutexLock lock(mu_);
  return Find(version) != nullptr;
}

void Keyring::Remove(uint32_t version) {
  MutexLock lock(mu_);
  if (version == current_) return;
  keys_.erase(std::remove_if(keys_.begin(), keys_.end(), [version](const auto& e) { return e.first == version; }),
              keys_.end());
}

void Keyring::DestroyAll() {
  MutexLock lock(mu_);
  keys_.clear();
  current_ = 0;
  destroyed_ = true;
  loader_ = nullptr;
}

size_t Keyring::EvictIdle(Clock::time_point now, Clock::duration idle) {
  const int64_t cutoff = (now - idle).time_since_epoch().count();
  MutexLock lock(mu_);
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
  MutexLock lock(mu_);
  size_t n = 0;
  for (const auto& [version, entry] : keys_) n += entry->key != nullptr ? 1 : 0;
  return n;
}

}  // namespace tenantkv::engine
