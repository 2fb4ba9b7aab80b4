// Keyring: one tenant's unwrapped data keys, by version.
//
// Keys are held in SecretBytes (locked, wiped). Readers get a shared_ptr so
// a key stays valid for the operation in flight even if the version is
// destroyed meanwhile; the bytes are wiped when the last user lets go.
// Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <utility>

#include "crypto/secret_bytes.h"

namespace tenantkv::engine {

using KeyPtr = std::shared_ptr<const crypto::SecretBytes>;

class Keyring {
 public:
  // Adds (or replaces) `version`; `make_current` makes it take new writes.
  void Add(uint32_t version, crypto::SecretBytes key, bool make_current);
  // nullptr if the version is unknown or destroyed.
  KeyPtr Get(uint32_t version) const;
  // The version for new writes and its key; {0, nullptr} if there is none.
  std::pair<uint32_t, KeyPtr> Current() const;
  // Forgets one version (it no longer opens anything); in-flight users
  // finish first. The current version cannot be removed (no-op).
  void Remove(uint32_t version);
  // Forgets every key (crypto-shredding); in-flight users finish first.
  void DestroyAll();

 private:
  mutable std::shared_mutex mu_;
  std::map<uint32_t, KeyPtr> keys_;  // GUARDED_BY(mu_)
  uint32_t current_ = 0;             // GUARDED_BY(mu_)
};

}  // namespace tenantkv::engine
