// TenantRegistry: creates, finds, suspends and deletes tenants.
//
// Persistence (system column family):
//   tenant/<id>                  JSON TenantInfo
//   dkey/<id>/<version, 8 hex>   JSON {master_version, wrapped (hex), created_at}: the
//                                record's master_version is the one its bytes are
//                                wrapped under (TenantInfo repeats it for display)
//   dkey/<id>/export             JSON {key_id, master_version, wrapped (hex), created_at}:
//                                the tenant's export wrapping key (wraps its
//                                data keys inside exports); under dkey/<id>/
//                                so that shredding destroys it with them
//   usage/<id>                   merged (keys, bytes) counters
//   kstat/<id>/...               per-version value and seal counts, the
//                                re-encryption cursor (key_records.h)
// Every key is wrapped under the master version current when it is
// persisted: paths that wrap read CurrentVersion and persist without a
// master-key switch in between (tenant key mutex, or wrap_mu_ for a tenant
// not yet registered), so a rotation that switched versions and then
// rewrapped each tenant under its key mutex leaves nothing behind.
// A new tenant takes a spare column family from the ColumnFamilyPool and a
// deleted tenant's column family is emptied and returned to it, so neither
// issues column-family DDL (which stalls every tenant's writes in RocksDB).
// Delete is crypto-shredding: data keys are destroyed (and purged from the
// DB's files) in the same batch as the range delete of the tenant's data.
// It is a persisted state machine: the state "deleting" is persisted first,
// and until the shredding is done the id stays taken and the purge is
// retried (by a repeated Delete, and at the next start). Thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "crypto/keys/key_provider.h"
#include "engine/tenants/cf_pool.h"
#include "engine/clock.h"
#include "engine/storage/storage.h"
#include "engine/tenants/tenant.h"

namespace tenantkv::engine {

// A tenant's export wrapping key, unwrapped. `key_id` (random, 16 hex)
// names it in exports so a later key of a re-created tenant is told apart.
struct ExportKey {
  std::string key_id;
  crypto::SecretBytes key;
};

struct RegistryOptions {
  size_t max_value_bytes = 1 << 20;  // largest value a tenant may store
  std::vector<std::string> plans = {"free", "standard", "premium"};
  // When set, decides which plan names exist instead of `plans`.
  std::function<bool(const std::string&)> plan_exists;
  std::string default_plan = "standard";
  CfPoolOptions pool;
  // Seal counting per data-key version (seal_counter.h); its on_bound is
  // replaced by on_seal_bound below.
  SealCounterOptions seals;
  // Called when a tenant's current data-key version reaches seals.bound
  // (once per version); must return quickly.
  std::function<void(const std::string& tenant, uint32_t version)> on_seal_bound;
};

class TenantRegistry {
 public:
  // Loads every tenant, unwraps its data keys, finishes interrupted deletes
  // and recycles column families that no tenant owns (a crash mid-create).
  // All pointers must outlive the registry.
  static Result<std::unique_ptr<TenantRegistry>> Open(Storage* storage,
                                                      const crypto::KeyProvider* keys,
                                                      const Clock* clock, RegistryOptions options);

  // InvalidArgument for a bad id or unknown plan, AlreadyExists
  // ("tenant_exists") if taken, a delete of the id not finished included.
  Result<std::shared_ptr<Tenant>> Create(const std::string& id, const std::string& plan);
  // NotFound("tenant_not_found") if there is no such (live) tenant.
  Result<std::shared_ptr<Tenant>> Get(const std::string& id) const;
  // The live tenants (a deleting one is in PendingDeletes instead).
  std::vector<std::shared_ptr<Tenant>> List() const;
  // NotFound("tenant_not_found") unless live.
  Result<std::shared_ptr<Tenant>> SetSuspended(const std::string& id, bool suspended);

  struct DeleteOutcome {
    // The tenant was deleting already (an earlier delete's purge failed,
    // or a delete of it is running now).
    bool resumed = false;
    // This call finished the purge: the tenant is gone. False when another
    // delete of the id is running (it finishes, or leaves it pending).
    bool purged = false;
  };
  // Deletes tenant `id`. Its state "deleting" is persisted first (if that
  // fails, nothing has changed) and it leaves Get and List; `on_deleting`
  // runs then (the engine removes its API keys), then it is shredded. If a
  // step fails the delete stays pending: the id stays taken, the tenant is
  // in PendingDeletes, and the next Delete of the id (resumed) or the next
  // start retries it. NotFound("tenant_not_found") if there is no such
  // tenant, deleting or not.
  Result<DeleteOutcome> Delete(const std::string& id, const std::function<Status()>& on_deleting = nullptr);
  // The record of tenant `id` while its delete is not finished (state
  // "deleting"); NotFound("tenant_not_found") otherwise.
  Result<TenantInfo> PendingDelete(const std::string& id) const;
  std::vector<TenantInfo> PendingDeletes() const;

  // The export wrapping key of tenant `id`, created (wrapped under the
  // current master key, fsync'd) on first use when `create`. Without
  // `create` it works for a tenant that no longer exists too, and gives
  // NotFound("export_key_not_found") once the tenant's delete has begun.
  Result<ExportKey> GetExportKey(const std::string& id, bool create);

  // Creates tenant `id` (checks as Create) whose column family starts with
  // the entries of `sst_files` — sorted, sealed for `id` under `data_key` as
  // data-key version 1 — and whose usage counters start at `usage`. The
  // files are moved into the DB.
  Result<std::shared_ptr<Tenant>> CreateImported(const std::string& id, const std::string& plan,
                                                 crypto::SecretBytes data_key,
                                                 const std::vector<std::string>& sst_files,
                                                 const Usage& usage);

  // --- Master-key rotation (master_key_rotation.h) ---
  // Runs `fn` (which switches the provider's current master version) while
  // no tenant create or import is between choosing a master version and
  // persisting its key.
  Status WithWrapsPaused(const std::function<Status()>& fn);

  struct RewrapOutcome {
    size_t keys_rewrapped = 0;   // data and export keys now under `to`
    size_t leftovers_destroyed = 0;  // key records of a tenant that is gone
  };
  // Rewraps every key record of tenant `id` that is not under master
  // version `to` (data keys and the export key) in one synced batch, with
  // the tenant record, holding the tenant's key mutex. A deleting tenant is
  // left to its delete. Key records of a tenant that no longer exists (an
  // interrupted delete's leftovers) are destroyed and purged instead.
  // Unavailable("tenant_busy") while the id is being created or deleted
  // (try again shortly).
  Result<RewrapOutcome> RewrapTenantKeys(const std::string& id, uint32_t to);

  // A full scan of the wrapped-key records.
  struct KeyCensus {
    std::map<uint32_t, size_t> keys_per_master;  // master version -> records
    std::set<std::string> tenants_not_under;     // ids with a record not under `version`
  };
  Result<KeyCensus> CensusWrappedKeys(uint32_t version) const;
  // A new data-key version for `t`, wrapped under the master key's current
  // version: its record, the tenant record (older active versions become
  // "retiring") and whatever `extra` holds commit in one fsync'd batch, then
  // it takes every new write at once. Holds t.key_mutex().
  Result<DataKeyInfo> AddDataKey(Tenant& t, rocksdb::WriteBatch* extra);
  // Destroys retiring version `version` of `t`: its wrapped key is deleted
  // (and purged from the DB's files), its state becomes "destroyed" (kept in
  // the tenant record), and it leaves the keyring. The caller checks that no
  // value is left on it. FailedPrecondition("key_not_retiring") unless it is
  // retiring. Holds t.key_mutex().
  Status DestroyDataKey(Tenant& t, uint32_t version);

  // Flushes every tenant's memtables (tests and graceful shutdown).
  Status FlushAll();

  ColumnFamilyPool& cf_pool() { return *pool_; }

  // Test-only fault injection: the next pass through `at` fails once with
  // Internal("injected_fault") (the delete path: persisting the deleting
  // state, the key-destroying batch, the purge from the files).
  enum class FaultForTest { kNone, kPersistInfo, kShredKeys, kShredPurge };
  void InjectFaultForTest(FaultForTest at) { fault_for_test_ = at; }
  // Test-only: runs inside RewrapTenantKeys(id) between the scan that
  // rewraps the key records and the write of the batch. Set before use.
  void SetRewrapHookForTest(std::function<void(const std::string& id)> hook) {
    rewrap_hook_for_test_ = std::move(hook);
  }

 private:
  TenantRegistry(Storage* storage, const crypto::KeyProvider* keys, const Clock* clock,
                 RegistryOptions options)
      : storage_(storage), keys_(keys), clock_(clock), options_(std::move(options)) {}

  Status Load();
  Result<std::shared_ptr<Tenant>> Materialize(TenantInfo info, CfHandle cf);
  // Reads data key `version` of tenant `id` and unwraps it (start-up, and
  // the keyring's loader after an eviction).
  Result<crypto::SecretBytes> UnwrapDataKey(const std::string& id, uint32_t version) const;
  // Value counts of a tenant that predates them: with one version only,
  // every stored value is on it.
  Status InitValueCounts(const TenantInfo& info, const Usage& usage);
  Status PersistInfo(const TenantInfo& info);
  // `*recycle_cf`: stage the range delete of the tenant's column family in the
  // key-destroying batch (false when the pool has adopted it already); set
  // to false once that batch is committed, so a retry never recycles twice.
  Status Shred(const TenantInfo& info, bool* recycle_cf);
  Status CheckPlan(const std::string& plan) const;
  // Internal("injected_fault") once if a test injected a fault at `at`.
  Status FaultForTestAt(FaultForTest at);
  Status Reserve(const std::string& id);
  // Validates the id and plan, reserves the id (busy until the caller
  // clears it) and fills in the record of a new tenant with data key 1.
  Result<TenantInfo> Begin(const std::string& id, const std::string& plan_in);
  // Adds a new tenant's records to `batch`: data key 1 (wrapped), the
  // tenant record and its usage counters.
  void StageNewTenant(const TenantInfo& info, uint32_t master_version, const std::string& wrapped,
                      const Usage& usage, rocksdb::WriteBatch* batch) const;

  Storage* const storage_;
  const crypto::KeyProvider* const keys_;
  const Clock* const clock_;
  const RegistryOptions options_;

  std::unique_ptr<ColumnFamilyPool> pool_;
  mutable std::shared_mutex mu_;
  std::map<std::string, std::shared_ptr<Tenant>> tenants_;  // GUARDED_BY(mu_)
  std::set<std::string> busy_ids_;  // GUARDED_BY(mu_): being created or deleted
  // A delete not finished: the tenant's record, and whether its column
  // family is still its own (not yet handed to the pool).
  struct PendingPurge {
    TenantInfo info;
    bool owns_cf = true;
  };
  std::map<std::string, PendingPurge> deleting_;  // GUARDED_BY(mu_)
  std::mutex export_key_mu_;        // one creator of an export key at a time
  // Shared by create/import from choosing a master version to persisting
  // the wrapped key; exclusive while the current master version changes.
  std::shared_mutex wrap_mu_;
  std::atomic<FaultForTest> fault_for_test_{FaultForTest::kNone};
  std::function<void(const std::string&)> rewrap_hook_for_test_;
};

}  // namespace tenantkv::engine
