// Tenant transfer: an online move of one tenant to another node, the
// engine's half. The target pulls from the source (the HTTP routes, the
// directory and the coordinator are the server's):
//
//   source                                   target
//   id = Begin(t)          (noting + snapshot)
//   Records(id, k)                     ->    Stage(records, k, tier)   hidden
//   Entries(id, after,..)  (pages)     ->    ApplyEntries(t, page)
//   Delta(id, max)         (repeat)    ->    ApplyDelta(t, page)
//     overflowed: Rescan(id)           ->    ClearEntries(t), pages again
//   Freeze(id)             (503 tenant_moving from here)
//   Delta(id, max) until !more         ->    ApplyDelta(t, page)
//   Records(id, k)         (frozen)    ->
//   Counters(id)                       ->    Commit(t, records, k, counters)
//   (directory flips owner; the source deletes the tenant), End(id)
// Unfreeze(id) and End(id) on the source and Abort(t) on the target undo a
// transfer that will not finish. End resumes the tenant's writes on the
// source: delete it there first if the target committed.
//
// What moves (Records): the tenant record (plan, state, incarnation,
// created_at, data-key versions and their states), every data key not
// destroyed and the export key, each wrapped for transport under the
// caller's 32-byte transfer key (crypto/key_wrap.h: AES-256-GCM, the AAD
// binding the format tag, tenant id, incarnation and the key's version or
// export key id), and as stored: the API key records of its incarnation
// (hashes only), every quota manifest (the history), the usage history
// (uhist), add-ons, the storage grace period; its webhook endpoints with
// their secrets re-wrapped for transport the same way. Counters (frozen
// only): usage, values per key version, seals per key version, the
// re-encryption cursor. The data: entries of the snapshot and deltas,
// sealed bytes as stored (a value is bound to its tenant and user key).
// Its quota change requests travel apart from the records (their ids are a
// per-node sequence): Engine::CommitTransferIn gives them new ids of the
// target's (QuotaRequestStore::Adopt), in their old order.
// What stays on the source node, deliberately: the audit log (the node's
// own hash chain), webhook deliveries queued in its outbox (whout/), the
// tier-move history and the tenant's place.
// On the target, data keys are wrapped under its own master key, the
// incarnation is kept (so API tokens keep working), and seal counts start
// at the source's (AES-GCM seals of one key never restart from zero).
// Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "crypto/mutex.h"
#include "crypto/secret_bytes.h"
#include "engine/apikeys/api_keys.h"
#include "engine/backup/transfer_pages.h"
#include "engine/quota/addon_store.h"
#include "engine/quota/quota_store.h"
#include "engine/tenants/tenant_registry.h"
#include "engine/webhooks/webhook_store.h"

namespace tenantkv::engine {

inline constexpr char kTransferFormat[] = "tenantkv-transfer/1";
inline constexpr size_t kTransferKeyBytes = 32;

// The live counters of a frozen tenant (Counters), as JSON for the wire.
struct TransferCounters {
  Usage usage;
  std::map<uint32_t, int64_t> values;  // values stored per data-key version
  std::map<uint32_t, uint64_t> seals;  // seals counted per data-key version
  std::string reencrypt_cursor;        // as stored; "" = none
  std::string ToJson() const;
  // InvalidArgument("bad_transfer") if malformed.
  static Result<TransferCounters> FromJson(std::string_view text);
};

// The stores a transfer reads from or writes to; all must outlive it.
struct TransferStores {
  Storage* storage = nullptr;
  const Clock* clock = nullptr;
  TenantRegistry* registry = nullptr;
  ApiKeyStore* api_keys = nullptr;
  QuotaStore* quotas = nullptr;
  AddonStore* addons = nullptr;
  WebhookStore* webhooks = nullptr;
};

struct TransferSourceOptions {
  size_t max_transfers = 4;  // running at once; more get Unavailable("too_many_moves")
  // Bytes of user keys noted between two deltas; past it a Delta says
  // `overflowed` (the caller rescans).
  size_t max_noted_key_bytes = 16 << 20;
  // A transfer no call touched for this long ends on its own (End).
  std::chrono::milliseconds idle_timeout{std::chrono::minutes(5)};
  size_t max_records_bytes = 16 << 20;  // Records larger: FailedPrecondition("records_too_large")
  size_t max_page_entries = 10'000;     // caps of Entries and Delta
  size_t max_page_bytes = 8 << 20;
};

class TenantTransferSource {
 public:
  TenantTransferSource(TransferStores stores, TransferSourceOptions options);
  // Ends every transfer (their writes resume) and stops the idle reaper.
  ~TenantTransferSource();
  TenantTransferSource(const TenantTransferSource&) = delete;
  TenantTransferSource& operator=(const TenantTransferSource&) = delete;

  // Starts a transfer of tenant `tenant`: every write that commits from now
  // on is noted, every earlier one is in the snapshot taken. NotFound
  // ("tenant_not_found"); AlreadyExists("move_in_progress") while a
  // transfer or a tier move of it runs; Unavailable("too_many_moves").
  Result<std::string> Begin(const std::string& tenant) EXCLUDES(mu_);
  // Everything of the tenant but its data and live counters (see above),
  // one JSON document. `transfer_key`: 32 bytes. NotFound
  // ("transfer_not_found") for an unknown or ended id (so for every call).
  Result<std::string> Records(const std::string& id, const crypto::SecretBytes& transfer_key) EXCLUDES(mu_);
  // At most `max_entries` entries (and about `max_bytes`) of the snapshot
  // after key `start_after` ("" = from the first).
  Result<EntryPage> Entries(const std::string& id, const std::string& start_after, size_t max_entries,
                            size_t max_bytes) EXCLUDES(mu_);
  // At most `max` of the keys noted since the last Delta (or Begin or
  // Rescan), each with its current envelope or deleted; a key written
  // again is noted again.
  Result<DeltaPage> Delta(const std::string& id, size_t max) EXCLUDES(mu_);
  // After an overflowed Delta: a new snapshot and an empty noted set (the
  // target clears what it applied and pages the entries again).
  Status Rescan(const std::string& id) EXCLUDES(mu_);
  // Refuses the tenant's writes with Unavailable("tenant_moving") (as a
  // tier move's switch); returns once the writes in flight have finished.
  Status Freeze(const std::string& id) EXCLUDES(mu_);
  Status Unfreeze(const std::string& id) EXCLUDES(mu_);
  // FailedPrecondition("not_frozen") unless frozen.
  Result<TransferCounters> Counters(const std::string& id) EXCLUDES(mu_);
  // Stops noting, releases the snapshot, resumes the tenant's writes.
  Status End(const std::string& id) EXCLUDES(mu_);
  // Transfers running now.
  size_t Running() const EXCLUDES(mu_);

 private:
  struct Transfer;
  Result<std::shared_ptr<Transfer>> Find(const std::string& id) EXCLUDES(mu_);
  void EndLocked(std::shared_ptr<Transfer> t) REQUIRES(mu_);  // by value: it erases the map's
  void Reap() EXCLUDES(mu_);

  const TransferStores stores_;
  const TransferSourceOptions options_;
  mutable Mutex mu_;
  CondVar wake_;
  bool stopping_ GUARDED_BY(mu_) = false;
  std::map<std::string, std::shared_ptr<Transfer>> transfers_ GUARDED_BY(mu_);  // by transfer id
  std::thread reaper_;
};

class TenantTransferSink {
 public:
  explicit TenantTransferSink(TransferStores stores) : stores_(stores) {}
  // Staged tenants are left to the next start (which removes them).
  ~TenantTransferSink() = default;
  TenantTransferSink(const TenantTransferSink&) = delete;
  TenantTransferSink& operator=(const TenantTransferSink&) = delete;

  // Checks `records` (format, tenant id valid and free here, every wrapped
  // key opens under `transfer_key`, every record is the tenant's), then
  // reserves the tenant hidden (not in list/get, its API keys do not
  // authenticate) with a place of `tier` (column_family or pooled),
  // persisted so that a start removes it unless committed. Gives its id.
  // InvalidArgument("bad_transfer") for anything malformed,
  // ("transfer_undecryptable") for a key that does not open,
  // AlreadyExists("tenant_exists"), ("transfer_conflict") for an API key
  // or webhook id held here already.
  Result<std::string> Stage(const std::string& records, const crypto::SecretBytes& transfer_key, Tier tier)
      EXCLUDES(mu_);
  // Writes the page's entries, sealed bytes as they are, in batches.
  Status ApplyEntries(const std::string& tenant, const EntryPage& page) EXCLUDES(mu_);
  Status ApplyDelta(const std::string& tenant, const DeltaPage& page) EXCLUDES(mu_);
  // Empties the staged data (after an overflowed delta).
  Status ClearEntries(const std::string& tenant) EXCLUDES(mu_);
  // `records` taken while the source was frozen (its keys and records are
  // final), and its counters: one synced batch makes the tenant live here
  // (a tenant like any other from then on). FailedPrecondition
  // ("records_not_frozen"), InvalidArgument("bad_transfer") for records of
  // another tenant or incarnation. *quota_requests (if given): the
  // tenant's quota change requests the records carried, as stored on the
  // source, for QuotaRequestStore::Adopt (they are not committed here).
  Result<std::shared_ptr<Tenant>> Commit(const std::string& tenant, const std::string& records,
                                         const crypto::SecretBytes& transfer_key, const TransferCounters& counters,
                                         std::vector<std::string>* quota_requests = nullptr) EXCLUDES(mu_);
  // Removes every trace of a staged tenant. NotFound("transfer_not_found").
  Status Abort(const std::string& tenant) EXCLUDES(mu_);

 private:
  struct Staged;
  Result<std::shared_ptr<Staged>> Find(const std::string& tenant) EXCLUDES(mu_);
  Status Write(Staged& s, rocksdb::WriteBatch* batch);

  const TransferStores stores_;
  mutable Mutex mu_;
  std::map<std::string, std::shared_ptr<Staged>> staged_ GUARDED_BY(mu_);  // by tenant id
};

}  // namespace tenantkv::engine
