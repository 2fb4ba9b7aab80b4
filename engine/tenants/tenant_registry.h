// TenantRegistry: creates, finds, suspends and deletes tenants. A facade
// over three parts, each with its own records in the system column family:
//   TenantDirectory  (tenant_directory.h)   id -> tenant, lifecycle state,
//                                           tenant/<id> and usage/<id>
//   WrappedKeyStore  (wrapped_key_store.h)  data and export keys under
//                                           dkey/<id>/, rewrap, census
//   TenantPlacement  (tenant_placement.h)   where a tenant's data lives
// The registry composes them: a step that changes more than one part's
// records commits them in one batch (a new tenant's record, its first key
// and its place; a new data key and the record naming it; a shredding and
// the release of the place).
//
// Delete is crypto-shredding: data keys are destroyed (and purged from the
// DB's files) in the same batch as the release of the tenant's place (a range
// delete of its data). It is a persisted state machine: the state "deleting"
// is persisted first, and until the shredding is done the id stays taken and
// the purge is retried (by a repeated Delete, and at the next start).
//
// Lock order (a lock is only ever taken while holding locks above it):
//   1. WrappedKeyStore export-key mutex  one creator of an export key at a time
//   2. Tenant::key_mutex()               a tenant's wrapped keys: held to wrap
//                                        and persist (AddDataKey, export key),
//                                        DestroyDataKey, RewrapTenantKeys, and
//                                        Delete up to the end of the shredding
//   3. Tenant record lock (inside Tenant::ChangeInfo)
//   4. TenantDirectory::mu_              held only inside its own methods
//   Delete's `on_deleting` runs holding 2: the engine's API-key store lock
//   comes after 2 (and is never held while taking 1-3).
//   -  WrappedKeyStore wrap pause lock   shared by Create/CreateImported from
//                                        choosing a master version to writing
//                                        the first key (they hold no lock of
//                                        1-3 then), exclusive in
//                                        WithWrapsPaused; never held with 1-3
//   leaves (taken under any of these, take none of them):
//      ColumnFamilyPool's mutexes, Keyring's, SealCounter's, the key
//      provider's, Storage's, TenantPlacement's prefix and dedicated mutexes.
// Thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "crypto/keys/key_provider.h"
#include "engine/tenants/cf_pool.h"
#include "engine/clock.h"
#include "engine/keys/seal_counter.h"
#include "engine/storage/storage.h"
#include "engine/tenants/tenant.h"
#include "engine/tenants/tenant_directory.h"
#include "engine/tenants/tenant_placement.h"
#include "engine/tenants/tier_mover.h"
#include "engine/tenants/usage_history_store.h"
#include "engine/tenants/wrapped_key_store.h"

namespace tenantkv::engine {

struct RegistryOptions {
  size_t max_value_bytes = 1 << 20;  // largest value a tenant may store
  bool scan_fill_cache = false;      // list scans fill the block cache (EngineOptions)
  std::vector<std::string> plans = {"free", "standard", "premium"};
  // When set, decides which plan names exist instead of `plans`.
  std::function<bool(const std::string&)> plan_exists;
  std::string default_plan = "standard";
  CfPoolOptions pool;
  // Shared column families of the pooled tier (tenant_placement.h).
  size_t pooled_column_families = 4;
  // The dedicated tier (tenant_placement.h): the directory of its
  // databases ("" = the tier is not offered) and their options.
  std::string dedicated_dir;
  StorageOptions dedicated;
  // The tier of a new tenant whose create names none, by plan; a plan not
  // listed gets `default_tier`.
  std::map<std::string, Tier> plan_tiers = {{"free", Tier::kPooled}};
  Tier default_tier = Tier::kColumnFamily;
  // Seal counting per data-key version (seal_counter.h); its on_bound is
  // replaced by on_seal_bound below.
  SealCounterOptions seals;
  // Called when a tenant's current data-key version reaches seals.bound
  // (once per version); must return quickly.
  std::function<void(const std::string& tenant, uint32_t version)> on_seal_bound;
  // Told of each tenant's storage grace transitions (tenant_store.h), on
  // the writing thread.
  std::function<void(const std::string& tenant, GraceEvent event, const GraceState& state)> on_storage_grace;
  // Online tier moves (tier_mover.h).
  TierMoverOptions tier_moves;
  // Names of the throttle reasons a caller records in usage histories, by
  // index (usage_history_store.h).
  std::vector<std::string> throttle_reasons;
};

class TenantRegistry {
 public:
  // Loads every tenant, unwraps its data keys, finishes interrupted deletes
  // and recycles column families that no tenant owns (a crash mid-create).
  // All pointers must outlive the registry.
  static Result<std::unique_ptr<TenantRegistry>> Open(Storage* storage,
                                                      const crypto::KeyProvider* keys,
                                                      const Clock* clock, RegistryOptions options);
  // Stops the tier moves, and records in the node's DB the usage of every
  // dedicated tenant whose database it opened (LazyDedicated).
  ~TenantRegistry();

  // InvalidArgument for a bad id or unknown plan, AlreadyExists
  // ("tenant_exists") if taken, a delete of the id not finished included.
  // Placed in `tier`, or without one in its plan's (RegistryOptions).
  Result<std::shared_ptr<Tenant>> Create(const std::string& id, const std::string& plan,
                                         std::optional<Tier> tier = std::nullopt);
  // The tier a new tenant of `plan` gets when its create names none.
  Tier DefaultTier(const std::string& plan) const;
  // NotFound("tenant_not_found") if there is no such (live) tenant.
  Result<std::shared_ptr<Tenant>> Get(const std::string& id) const;
  // The live tenants (a deleting one is in PendingDeletes instead).
  std::vector<std::shared_ptr<Tenant>> List() const;
  // A page of List (TenantDirectory::ListAfter).
  std::vector<std::shared_ptr<Tenant>> ListAfter(const std::string& start_after, size_t max) const;
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
  // files are moved into the DB: a column family of the tenant's own, or
  // a dedicated database (`tier`; pooled is
  // InvalidArgument("tier_not_supported")).
  Result<std::shared_ptr<Tenant>> CreateImported(const std::string& id, const std::string& plan,
                                                 crypto::SecretBytes data_key,
                                                 const std::vector<std::string>& sst_files,
                                                 const Usage& usage, Tier tier = Tier::kColumnFamily);

  // Runs `fn` with the dedicated databases open now (by directory name),
  // holding off what would make a record name another one and data-key
  // destroys (TenantPlacement::backup_gate) until it returns.
  Status WithDedicatedFrozen(
      const std::function<Status(const std::vector<std::pair<std::string, std::shared_ptr<Storage>>>&)>& fn);

  // Starts moving tenant `id` online to `to` (TierMover::Start): false if
  // it is there already. NotFound("tenant_not_found") if there is no such
  // live tenant.
  Result<bool> MoveTier(const std::string& id, Tier to);
  // The running move of tenant `id` as it stands now (its record holds its
  // start, and the last one's outcome), or nullopt.
  std::optional<TierMoveInfo> TierMoveProgress(const std::string& id) const;
  // Stops the running moves where they are (TierMover::Stop); later moves
  // are refused.
  void StopTierMoves() { mover_->Stop(); }

  // --- Transfers between nodes (backup/tenant_transfer.h) ---
  // Marks tenant `id` as transferring out: a tier move of it is refused
  // (move_in_progress) until UnmarkTransferOut. AlreadyExists
  // ("move_in_progress") while a tier move of it runs or it is marked.
  Status MarkTransferOut(const std::string& id) EXCLUDES(transfer_mu_);
  void UnmarkTransferOut(const std::string& id) EXCLUDES(transfer_mu_);
  // Reserves `id` for a tenant transferred in (busy: not in Get or List,
  // and no create of the id passes) and a place of `tier` (column_family
  // or pooled; dedicated is InvalidArgument("tier_not_supported")), claimed
  // in one synced batch with the marker xfer/<id>: a start that finds the
  // marker empties the place and removes it (the tenant never existed
  // here). InvalidArgument("invalid_tenant_id"), AlreadyExists("tenant_exists").
  Result<Place> BeginTransferIn(const std::string& id, Tier tier);
  // What a transferred tenant's counters start at.
  struct TransferInCounts {
    Usage usage;
    std::map<uint32_t, int64_t> values;  // values stored per data-key version
    std::map<uint32_t, uint64_t> seals;  // seals made per data-key version (at least)
    std::string reencrypt_cursor;        // kstat/<id>/reencrypt as stored; "" = none
  };
  // Makes the tenant of BeginTransferIn live: `info` (its id, plan, state,
  // incarnation, created_at and data keys as on the source) with every key
  // of `keys` (by version; every version not destroyed) and `export_key`
  // (if any) wrapped under this node's current master version, its
  // counters, and whatever `extra` holds, in one synced batch that removes
  // the marker. Then it is published as any tenant.
  Result<std::shared_ptr<Tenant>> CommitTransferIn(TenantInfo info, const Place& place,
                                                   const std::map<uint32_t, crypto::SecretBytes>& keys,
                                                   const ExportKey* export_key, const TransferInCounts& counts,
                                                   const rocksdb::WriteBatch& extra);
  // Undoes BeginTransferIn: the place is emptied and handed back, the
  // marker removed, the id freed.
  Status AbortTransferIn(const std::string& id, const Place& place);

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
  using KeyCensus = engine::KeyCensus;
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

  ColumnFamilyPool& cf_pool() { return placement_->cf_pool(); }
  // The tenants' usage histories; a delete removes a tenant's with its
  // other records.
  UsageHistoryStore& usage_histories() { return histories_; }

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
      : storage_(storage), clock_(clock), options_(std::move(options)), directory_(storage),
        key_store_(storage, keys, clock), histories_(storage, options_.throttle_reasons) {}

  // What a start-up reads for every tenant, in one scan of each kind of
  // record instead of a read (or an iterator) per tenant.
  struct Preloaded {
    std::unordered_map<std::string, Usage> usage;
    // Seal records by tenant: (version's 8-hex suffix, value).
    std::unordered_map<std::string, std::vector<std::pair<std::string, std::string>>> seals;
    // Tenants with a value count record of version 1.
    std::unordered_set<std::string> counted_v1;
  };
  Result<Preloaded> Preload() const;
  Status Load();
  Result<std::shared_ptr<Tenant>> Materialize(TenantInfo info, Place place, const Preloaded* preloaded = nullptr);
  // The store of tenant `t` in `place`, its counters starting at `usage`.
  Result<std::unique_ptr<CfTenantStore>> MakeStore(Tenant& t, const Place& place, const Usage& usage) const;
  // Whether the dedicated tenant of `info` starts unopened: the node's DB
  // has its usage (recorded at the last clean stop).
  static bool LazyDedicated(const TenantInfo& info, const Preloaded* preloaded);
  // CommitNewTenant, holding off a node backup when `place` is dedicated.
  Status CommitNewTenantGated(TenantInfo& info, const crypto::SecretBytes& data_key, const Place& place,
                              const Usage& usage);
  // Value counts of a tenant that predates them: with one version only,
  // every stored value is on it.
  Status InitValueCounts(Storage& db, const TenantInfo& info, const Usage& usage, const Preloaded* preloaded);
  Status PersistInfo(const TenantInfo& info);
  // `*owns_place`: release the tenant's place in the key-destroying batch
  // (false when it is released already); set to false once that batch is
  // committed, so a retry never releases it twice.
  Status Shred(const TenantInfo& info, bool* owns_place);
  Status CheckPlan(const std::string& plan) const;
  // Internal("injected_fault") once if a test injected a fault at `at`.
  Status FaultForTestAt(FaultForTest at);
  // Validates the id and plan, reserves the id (busy until the caller
  // publishes it) and fills in the record of a new tenant with data key 1.
  Result<TenantInfo> Begin(const std::string& id, const std::string& plan_in);
  // Wraps `data_key` as data key 1 of the new tenant `info` and commits, in
  // one batch, its records (the key, the tenant record, its usage counters
  // and value counts) with the claim of `place`. Holds the wrap pause lock.
  Status CommitNewTenant(TenantInfo& info, const crypto::SecretBytes& data_key, const Place& place,
                         const Usage& usage);
  // At start: every xfer/<id> marker (a transfer in that a stop cut) goes,
  // with the place it claimed.
  Status CleanTransfersIn();
  // Destroys the key records of a tenant that no longer exists (an
  // interrupted delete's leftovers); gives how many there were.
  Result<size_t> DestroyLeftoverKeys(const std::string& id);

  Storage* const storage_;
  const Clock* const clock_;
  const RegistryOptions options_;
  // options_.seals with the on_bound every tenant's counter calls; set at Load.
  std::shared_ptr<const SealCounterOptions> seal_options_;

  TenantDirectory directory_;
  WrappedKeyStore key_store_;
  std::unique_ptr<TenantPlacement> placement_;
  UsageHistoryStore histories_;
  std::atomic<FaultForTest> fault_for_test_{FaultForTest::kNone};
  std::function<void(const std::string&)> rewrap_hook_for_test_;
  // Tenants transferring out (MarkTransferOut); held over a tier move's
  // start too, so that neither starts while the other runs. Before the
  // mover's mutex in the lock order.
  Mutex transfer_mu_;
  std::set<std::string> transferring_out_ GUARDED_BY(transfer_mu_);
  // Last: its threads stop before anything they use goes.
  std::unique_ptr<TierMover> mover_;
};

}  // namespace tenantkv::engine
