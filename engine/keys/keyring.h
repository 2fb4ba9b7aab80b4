// Keyring: one tenant's data keys, by version, unwrapped on demand.
//
// Keys are held in SecretBytes (locked, wiped). Readers get a shared_ptr so
// a key stays valid for the operation in flight even if the version is
// destroyed or evicted meanwhile; the bytes are wiped when the last user
// lets go.
//
// The keyring is a cache with a bounded lifetime: EvictIdle() drops every
// key not used for a while (the server runs it every few seconds with
// --key-cache-ttl-sec), and the loader (set by the registry: read the
// wrapped record, unwrap it with the master key) brings a version back on
// its next use. So the keys of idle tenants, and of versions a rotation
// left behind, do not stay in memory; a destroyed version (Remove) or a
// deleted tenant (DestroyAll) leaves at once and is never loaded again.
// Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "crypto/mutex.h"
#include "crypto/secret_bytes.h"
#include "crypto/status.h"

namespace tenantkv::engine {

using KeyPtr = std::shared_ptr<const crypto::SecretBytes>;

class Keyring {
 public:
  using Clock = std::chrono::steady_clock;
  // Unwraps data-key `version` again (it must still exist).
  using Loader = std::function<Result<crypto::SecretBytes>(uint32_t version)>;

  // How an evicted version comes back; without one, EvictIdle evicts nothing.
  void SetLoader(Loader loader);
  // Adds (or replaces) `version`; `make_current` makes it take new writes.
  void Add(uint32_t version, crypto::SecretBytes key, bool make_current);
  // Adds `version` as if it had been evicted: the loader brings it in on
  // its first use. A version already held is left as it is.
  void AddUnloaded(uint32_t version, bool make_current);
  // The key of `version`, loaded again if it was evicted. nullptr if the
  // version is unknown or destroyed, or its loading failed (Knows() tells
  // the two apart).
  KeyPtr Get(uint32_t version) const;
  // The key of `version` if it is in memory now; never loads it (nullptr
  // otherwise), so it never blocks on the key provider.
  KeyPtr GetLoaded(uint32_t version) const;
  // The version for new writes and its key; {0, nullptr} if there is none,
  // {version, nullptr} if loading it failed.
  std::pair<uint32_t, KeyPtr> Current() const;
  // True while `version` exists (in memory or evicted).
  bool Knows(uint32_t version) const;
  // Forgets one version (it no longer opens anything); in-flight users
  // finish first. The current version cannot be removed (no-op).
  void Remove(uint32_t version);
  // Forgets every key (crypto-shredding) for good; in-flight users finish
  // first, and nothing is ever loaded again.
  void DestroyAll();
  // Drops every key last used before `now - idle` (wiped once in-flight
  // users finish); it is loaded again on its next use. Returns how many.
  size_t EvictIdle(Clock::time_point now, Clock::duration idle);
  // Keys held in memory now.
  size_t Loaded() const;

 private:
  struct Entry {
    KeyPtr key;  // nullptr while evicted
    mutable std::atomic<int64_t> last_used_ns{0};
    void Touch() const { last_used_ns.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed); }
  };
  using Entries = std::vector<std::pair<uint32_t, std::unique_ptr<Entry>>>;
  KeyPtr Load(uint32_t version) const;
  // The entry of `version`, or nullptr.
  Entry* Find(uint32_t version) const REQUIRES(mu_);
  // The entry of `version`, made (unloaded) if there is none.
  Entry& FindOrMake(uint32_t version) REQUIRES(mu_);

  // Exclusive, though most uses only read: the sections are a few loads
  // long, and at 8 bytes (mutex.h) against a shared mutex's 56 it is a
  // third of a pooled tenant's keyring. A tenant has one or two versions
  // (more only while a rotation re-encrypts), in version order.
  mutable Mutex mu_;
  Entries keys_ GUARDED_BY(mu_);
  uint32_t current_ GUARDED_BY(mu_) = 0;
  Loader loader_ GUARDED_BY(mu_);
  bool destroyed_ GUARDED_BY(mu_) = false;
};

}  // namespace tenantkv::engine
