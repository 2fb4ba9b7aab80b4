// SealCounter: how many values each data-key version of one tenant has
// sealed, persisted so that it is never under-counted.
//
// AES-GCM with random nonces is safe for about 2^32 seals per key, so every
// seal (put, batch, import, re-encryption) is counted before it happens.
// The count is persisted in blocks: before the in-memory count passes the
// persisted mark, the mark moves `block` seals ahead (one fsync'd write);
// after a crash counting continues from the mark, so the count may run
// ahead of the truth by less than one block but never behind it.
//
// When the current version's count reaches `bound`, `on_bound` is called
// once (per version) so that a rotation can be started; sealing goes on
// meanwhile (the bound sits well below the real limit). If the rotations
// keep failing, sealing stops at `limit`: Count refuses every further seal
// under that version (Unavailable "key_exhausted") and asks for a rotation
// again, until one makes a new version current. The check compares the
// count, which never falls behind the seals made (above), so a crash can
// only make the refusal come early, never late. An import starts version 1
// at its number of values (TenantRegistry::StageNewTenant). Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "crypto/mutex.h"
#include "crypto/status.h"
#include "engine/storage/storage.h"

namespace tenantkv::engine {

struct SealCounterOptions {
  uint64_t block = 4096;                // seals reserved per persisted write, >= 1
  uint64_t bound = uint64_t{1} << 31;   // seals per version before a rotation is asked for; 0 = none
  // Seals per version past which no more are made (the nonce bound of
  // random 96-bit nonces is 2^32); 0 = none. The engine sets
  // min(2 x bound, 2^32).
  uint64_t limit = uint64_t{1} << 32;
  // Called (without locks held) once when a tenant's version reaches
  // `bound`; must not block for long (it runs on a writer's thread).
  std::function<void(const std::string& tenant, uint32_t version)> on_bound;
};

class SealCounter {
 public:
  // `storage` and `tenant_id` must outlive the counter. The options are
  // shared by every tenant's counter (one copy per node, not per tenant:
  // a node may hold 100,000 counters).
  SealCounter(Storage* storage, const std::string& tenant_id, std::shared_ptr<const SealCounterOptions> options);

  // Loads the persisted marks of the tenant's versions.
  Status Load();
  // As Load, from records read already: (version's 8-hex suffix, value)
  // pairs of the tenant's seal records (a start-up reads every tenant's in
  // one scan).
  Status LoadFrom(const std::vector<std::pair<std::string, std::string>>& records);
  // Counts one seal under `version` (reserving a block first when needed).
  // An error means: do not seal. Unavailable("key_exhausted") when the
  // version has made `limit` seals; otherwise the reservation could not be
  // persisted.
  Status Count(uint32_t version);
  // Seals counted so far under `version` (at least the true number).
  uint64_t Seals(uint32_t version) const;
  // True once `version` has made `limit` seals (it seals no more).
  bool Exhausted(uint32_t version) const;
  // Seals refused at the limit since the counter was made (all versions).
  uint64_t Refused() const;
  // Lets the next seal past the bound report `version` again (the rotation
  // it asked for failed).
  void Rearm(uint32_t version);

 private:
  struct Entry {
    uint64_t count = 0;
    uint64_t reserved = 0;
    bool bound_reported = false;
  };

  Status LoadOne(const std::string& hex, std::string_view value) REQUIRES(mu_);
  // The entry of `version`, made if missing; nullptr from Find if missing.
  Entry& At(uint32_t version) REQUIRES(mu_);
  const Entry* Find(uint32_t version) const REQUIRES(mu_);

  Storage* const storage_;
  const std::string& tenant_id_;
  const std::shared_ptr<const SealCounterOptions> options_;
  mutable Mutex mu_;
  // By version, in version order: a tenant has a version or two, so a
  // vector is smaller than a map's nodes.
  std::vector<std::pair<uint32_t, Entry>> entries_ GUARDED_BY(mu_);
  uint64_t refused_ GUARDED_BY(mu_) = 0;
};

}  // namespace tenantkv::engine
