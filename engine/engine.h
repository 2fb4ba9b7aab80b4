// Engine: the storage engine as one object — RocksDB, master keys, tenants
// and their API keys. The server builds one and shares it across threads.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "crypto/keys/key_provider.h"
#include "crypto/mutex.h"
#include "engine/apikeys/api_keys.h"
#include "engine/apikeys/operator_keys.h"
#include "engine/audit/audit_log.h"
#include "engine/clock.h"
#include "engine/quota/fair_scheduler.h"
#include "engine/rotation/master_key_rotation.h"
#include "engine/rotation/key_lifecycle.h"
#include "engine/backup/node_backup.h"
#include "engine/quota/addon_store.h"
#include "engine/quota/quota_requests.h"
#include "engine/quota/quota_store.h"
#include "engine/rotation/rotation_policy.h"
#include "engine/storage/storage.h"
#include "engine/backup/tenant_export.h"
#include "engine/backup/tenant_import.h"
#include "engine/backup/tenant_transfer.h"
#include "engine/tenants/tenant_registry.h"
#include "engine/webhooks/webhook_event.h"
#include "engine/webhooks/webhook_outbox.h"
#include "engine/webhooks/webhook_store.h"

namespace tenantkv::engine {

struct EngineOptions {
  std::string data_dir;           // RocksDB lives in data_dir/db
  bool sync_writes = false;       // fsync before acknowledging writes (power-loss safe)
  // With sync_writes: the group commit's longest wait for writers on their
  // way (engine/storage/group_commit.h); 0 = none.
  int64_t group_commit_max_delay_us = 1000;
  size_t max_value_bytes = 1 << 20;
  size_t block_cache_bytes = 64 << 20;
  // List scans put the blocks they read in the block cache. Off: a tenant's
  // large scan cannot evict the other tenants' hot blocks (point reads
  // still fill it).
  bool scan_fill_cache = false;
  size_t memtable_budget_bytes = 128 << 20;
  const Clock* clock = nullptr;   // nullptr = the system clock; not owned
  size_t scheduler_slots = 4;     // storage operations running at once (fair scheduler)
  // Spare column families kept ready so that creating a tenant issues no
  // column-family DDL (which stalls every tenant's writes); refilled in one
  // batch when fewer than a quarter are left.
  size_t spare_column_families = 64;
  // Column families shared by the tenants of the pooled tier (>= 1); made
  // once, at the first start that needs them.
  size_t pooled_column_families = 4;
  // The dedicated tier: the directory of its databases (one per tenant;
  // "" = data_dir/dedicated), and each one's own block cache and memtable
  // budget.
  std::string dedicated_dir;
  size_t dedicated_block_cache_bytes = 8 << 20;
  size_t dedicated_memtable_bytes = 16 << 20;
  // Online tier moves: how many run at once, the copy's pace (its on_end is
  // the engine's: an audit entry).
  TierMoverOptions tier_moves;
  // The tier of a new tenant whose create names none, by plan; plans not
  // listed are column_family. Built in: free is pooled.
  std::map<std::string, Tier> plan_tiers = RegistryOptions().plan_tiers;
  // Seals one data-key version may make before a rotation is started
  // automatically (AES-GCM with random nonces is safe for about 2^32).
  // If the rotation keeps failing, the version stops sealing at
  // min(2 x this, 2^32): writes get Unavailable "key_exhausted" until a
  // rotation succeeds. 1..2^32; fixed at start.
  uint64_t max_seals_per_key = uint64_t{1} << 31;
  // Seals reserved ahead per persisted write of a version's seal count (the
  // count may run ahead of the truth by this much after a crash), >= 1.
  uint64_t seal_reserve_block = 4096;
  // Background re-encryption after a rotation (key_lifecycle.h): entries
  // per step, and the most of the wall time it may work (percent).
  size_t reencrypt_batch_keys = 32;
  int reencrypt_duty_percent = 20;
  // Active API keys one tenant may have (>= 1); creating more is refused
  // with "api_key_limit". Fixed at start.
  size_t max_api_keys_per_tenant = kDefaultMaxApiKeysPerTenant;
  // false: no background thread (tests drive key_lifecycle() themselves).
  bool background_jobs = true;
  // Names of the throttle reasons the server records in usage histories,
  // by index (the persisted records name them).
  std::vector<std::string> usage_throttle_reasons;
  // The node's capacity (capacity.h), judged on every quota change: the
  // operations per second the reservations may add up to, and the data
  // disk's size (0 = measured with statvfs on data_dir at each check) that
  // storage quotas may add up to `storage_overcommit_ratio` times.
  int64_t scheduler_capacity_ops = 10'000;
  int64_t disk_bytes = 0;
  int64_t storage_overcommit_ratio = 10;
  // Also judge a new tenant's plan defaults (off: large fleets of small
  // tenants would be refused by the sum of nominal quotas).
  bool capacity_check_on_create = false;
  // Distinct operators whose approvals apply a quota request (1..2).
  int quota_approvals_required = 1;
  // Webhook endpoints per scope, and the outbox's bounds and retry schedule
  // (webhook_store.h, webhook_outbox.h).
  WebhookLimits webhook_limits;
  OutboxOptions webhook_outbox;
  // Transfers of tenants to other nodes (backup/tenant_transfer.h).
  TransferSourceOptions transfers;
};

// What approving a quota request did: recorded an approval (four eyes, the
// request is still pending) or applied it (`manifest` is the new version).
struct QuotaRequestDecision {
  QuotaRequest request;
  std::optional<QuotaManifest> manifest;
};

// What one RunAddons() did.
struct AddonRun {
  size_t changed = 0;               // add-ons that started or ended
  std::vector<std::string> errors;  // a change that failed, or whose audit entry did
};

class Engine {
 public:
  static Result<std::unique_ptr<Engine>> Open(const EngineOptions& options,
                                              std::unique_ptr<crypto::KeyProvider> keys);
  ~Engine();

  TenantRegistry& tenants() { return *registry_; }
  ApiKeyStore& api_keys() { return *api_keys_; }
  // Named operator keys (operator_keys.h).
  OperatorKeyStore& operator_keys() { return *operator_keys_; }
  QuotaStore& quotas() { return *quotas_; }
  // Temporary quota boosts (addon_store.h); create and cancel them through
  // the engine, which makes their manifest versions.
  const AddonStore& addons() const { return *addons_; }
  // The hash-chained log of admin actions (audit_log.h).
  AuditLog& audit() { return *audit_; }
  FairScheduler& scheduler() { return *scheduler_; }
  // Data-key rotation, re-encryption and destruction (key_lifecycle.h).
  KeyLifecycle& key_lifecycle() { return *key_lifecycle_; }
  const Clock& clock() const { return *clock_; }
  const crypto::KeyProvider& key_provider() const { return *keys_; }
  // Online master-key rotation (master_key_rotation.h); an interrupted one
  // is resumed in the background by Open.
  MasterKeyRotator& master_key() { return *rotator_; }

  // Creates the tenant with quota manifest version 1 from its plan, placed
  // in `tier` or, without one, in its plan's default tier
  // (TenantRegistry::DefaultTier). With capacity_check_on_create, a plan
  // whose defaults do not fit is AlreadyExists("over_capacity").
  Result<std::shared_ptr<Tenant>> CreateTenant(const std::string& id, const std::string& plan,
                                               std::optional<Tier> tier = std::nullopt);
  // Deletes the tenant (TenantRegistry::Delete): its state "deleting" is
  // persisted, then its API keys are removed, then it is crypto-shredded.
  // A failed step leaves it pending; calling again (resumed) retries it.
  Result<TenantRegistry::DeleteOutcome> DeleteTenant(const std::string& id);

  // A new quota manifest version for the tenant, enforced at once. A tenant
  // admin (`by_tenant_admin`) may only choose values inside its plan's range
  // (PermissionDenied "outside_plan_range").
  Result<QuotaManifest> UpdateQuota(const std::string& id, const Quota& next, const std::string& author,
                                    bool by_tenant_admin);
  Result<QuotaManifest> RevertQuota(const std::string& id, int64_t version, const std::string& author);

  // A new add-on for tenant `id`: `a.fields`, `a.starts_at_ms` (0 = now),
  // `a.ends_at_ms`, `a.reason`, `a.request` and `a.created_by` are the
  // caller's; the rest is set here. InvalidArgument "unknown_field" or
  // "invalid_quota" for a field, "invalid_period" for the times (an end not
  // after the start or now, a period past kMaxAddonMillis, a start more than
  // that ahead); AlreadyExists "over_capacity" when its values would not
  // fit the node now (CheckCapacity; its start checks again and cancels it
  // if they no longer fit); AddonStore::Add's refusals. It starts at the
  // next RunAddons() at or after its start.
  Result<Addon> CreateAddon(const std::string& id, Addon a);
  // Cancels a scheduled add-on, or ends an active one now (a manifest
  // version, as at its end). NotFound("addon_not_found");
  // AlreadyExists("addon_finished") for one that ended or was cancelled.
  Result<Addon> CancelAddon(const std::string& id, const std::string& addon_id, const std::string& author);
  // Starts and ends every add-on whose moment has come by the clock's now,
  // each with a manifest version by "addon:<id>" and an audit entry
  // ("addon.start", "addon.end"). The server calls it every second.
  AddonRun RunAddons();

  // Ends the storage grace periods (tenant_store.h) that ran out by now,
  // each with a "storage.grace.end" audit entry; returns how many. The
  // server calls it every second; a write past a period ends it too.
  size_t CheckStorageGrace();
  // AlreadyExists("over_capacity") (capacity.h) if the tenant's quota
  // becoming `next` would raise a capacity sum past the node's limit.
  // UpdateQuota, RevertQuota and ApplyApprovedRequest run it themselves,
  // under the lock that serializes quota changes.
  Status CheckCapacity(const std::string& id, const Quota& next) const;

  // Quota change requests (quota_requests.h), engine_governance.cc.
  QuotaRequestStore& quota_requests() { return *quota_requests_; }
  int quota_approvals_required() const { return options_.quota_approvals_required; }
  // A tenant admin's request: `fields` are overlaid on the tenant's current
  // quota and must pass ValidateQuota (InvalidArgument "invalid_quota");
  // the plan's range is not judged (that is what the request is for).
  // Other errors as QuotaRequestStore::Create.
  Result<QuotaRequest> FileQuotaRequest(const std::string& id, const std::map<std::string, int64_t>& fields,
                                        const std::string& reason, int64_t expires_at_ms,
                                        const std::string& author);
  // One operator's approval. Below quota_approvals_required distinct
  // approvers it is recorded; the last one applies the request
  // (ApplyApprovedRequest) and marks it approved. A failed application
  // (over_capacity, invalid_quota) records nothing. Errors as
  // QuotaRequestStore::AddApproval.
  Result<QuotaRequestDecision> ApproveQuotaRequest(const std::string& rid, const std::string& approver,
                                                   const std::string& comment);
  Result<QuotaRequest> RejectQuotaRequest(const std::string& rid, const std::string& by,
                                          const std::string& comment);
  // The one way an approved request takes effect: its fields over the
  // tenant's current quota as a new manifest version naming the request,
  // by `author`, capacity-checked. A request with expires_at is applied
  // the same way for now (the add-ons take it over).
  Result<QuotaManifest> ApplyApprovedRequest(const QuotaRequest& request, const std::string& author);

  // Webhook alerts (engine_webhooks.cc). Every audit entry that is an
  // alert (WebhookEventOfAudit) queues its event for the endpoints that
  // want it, in the entry's own batch.
  WebhookStore& webhooks() { return *webhooks_; }
  WebhookOutbox& webhook_outbox() { return *outbox_; }
  // An endpoint for tenant `e.tenant` ("" = global); NotFound
  // ("tenant_not_found") for a tenant that does not exist, else as
  // WebhookStore::Create. The URL is the caller's to check.
  Result<WebhookStore::Created> CreateWebhook(WebhookEndpoint e);
  // Deletes the endpoint and its deliveries. NotFound("webhook_not_found").
  Status DeleteWebhook(const std::string& id);
  // Queues an event of `type` for `tenant` to `endpoints` (the quota alerts
  // the server evaluates per endpoint); returns the event id.
  Result<std::string> EmitWebhookEvent(const std::string& type, const std::string& tenant,
                                       const std::string& data_json, const std::vector<std::string>& endpoints);
  // Called after deliveries were queued (wakes the server's sender), on
  // the thread that queued them; it must not block. Thread-safe (the
  // engine's own threads may queue events while it is set).
  void SetWebhookNotifier(std::function<void()> notify) {
    MutexLock lock(webhook_notify_mu_);
    webhook_notify_ = std::move(notify);
  }

  // RocksDB's own gauges (memtables, block cache, compaction, stalls).
  StorageStats storage_stats() const { return storage_->Stats(); }
  // The data directory's on-disk format and what the open migrated.
  const FormatMigration& format() const { return storage_->format(); }
  // The steps of Open and the seconds each took, in order (the start-up log).
  const std::vector<std::pair<std::string, double>>& open_phases() const { return open_phases_; }
  // Tenant exports (tenant_export.h), handovers and imports (tenant_import.h).
  // An import that creates a tenant gives it the exported quota as its
  // manifest version 2 (version 1 = its plan's defaults, as for any tenant).
  // With `verify`, the written export is then checked as an import's dry
  // run would (files, keys, every value) and *verified set.
  Result<ExportSummary> ExportTenant(const std::string& id, const std::string& dir,
                                     bool verify = false, bool* verified = nullptr);
  Result<std::string> TenantHandover(const std::string& id, std::string_view passphrase);
  Result<ImportOutcome> ImportTenant(const ImportRequest& request);
  TenantExporter& exporter() { return *exporter_; }
  // Online moves of a tenant between nodes (backup/tenant_transfer.h): the
  // owner's side, and the target's. Commit a transfer in through
  // CommitTransferIn, which also enforces the tenant's quota and restores
  // its storage grace period.
  TenantTransferSource& transfer_source() { return *transfer_source_; }
  TenantTransferSink& transfer_sink() { return *transfer_sink_; }
  Result<std::shared_ptr<Tenant>> CommitTransferIn(const std::string& tenant, const std::string& records,
                                                   const crypto::SecretBytes& transfer_key,
                                                   const TransferCounters& counters);
  // Test-only: an iterator over the node's system column family.
  std::unique_ptr<rocksdb::Iterator> RawSystemIteratorForTest() const;
  // A whole-node backup into `dir` (node_backup.h); one at a time
  // (Unavailable "backup_in_progress" while another runs).
  Result<NodeBackupInfo> BackupNode(const std::string& dir);

  // One sweep of the rotation policy (rotation_policy.h) over every live
  // tenant: each tenant whose current data key is due is rotated (its
  // re-encryption follows in the background) with a "key.rotate.scheduled"
  // audit entry by `actor`. A failure on one tenant does not stop the rest.
  RotationSweep RotateDueKeys(const RotationPolicy& policy, const std::string& actor);

  // Drops from memory every tenant's data keys unused for `idle`
  // (Keyring::EvictIdle); they are unwrapped again on next use. Returns how
  // many were dropped.
  size_t EvictIdleKeys(std::chrono::steady_clock::duration idle);

  // The tenants' usage histories (usage_history_store.h).
  UsageHistoryStore& usage_histories() { return registry_->usage_histories(); }
  // Writes the live tenants' changed usage histories and frees the idle
  // ones (once a minute, and at a clean shutdown).
  Status FlushUsageHistories(UsageHistoryStore::FlushStats* stats = nullptr);

  // Flushes memtables to SST files (graceful shutdown, tests).
  Status Flush() { return storage_->Flush(); }

 private:
  Engine();  // out of line, as ~Engine: WebhookTap is complete there
  Status ReconcileQuotas();
  void Enforce(Tenant& tenant, const Quota& q);
  // Enforces the tenant's current manifest (after a change: of two changes
  // racing, both enforce the later one).
  void EnforceCurrent(const std::string& id);
  // A tenant's storage grace transition: the period persisted (grace/<id>)
  // or removed, an audit entry, the tenants in grace kept for
  // CheckStorageGrace.
  void OnStorageGrace(const std::string& id, GraceEvent event, const GraceState& state);
  // At open: each tenant's persisted period back into its store.
  Status RestoreStorageGrace();
  Status ForgetStorageGrace(const std::string& id);
  // At open: the webhook stores, the audit tap, and the endpoints of
  // tenants that are gone removed.
  Status OpenWebhooks();
  Status RemoveTenantWebhooks(const std::string& id);
  // Calls the notifier, if any, outside its lock.
  void NotifyWebhooks();
  // CreateAddon's checks of `a` for tenant `id`, and its fields over the
  // current quota into *boosted; fills in the id, times and state.
  Result<Addon> PrepareAddon(const std::string& id, Addon a, Quota* boosted) const;
  // Applies `a`'s values (state active), or takes them back (state
  // `end_as`), each a manifest version; addon_mu_ and quota_change_mu_ held
  // (in that order: an approval takes them so too).
  Status StartAddon(Addon a) REQUIRES(addon_mu_, quota_change_mu_);
  Status EndAddon(Addon a, AddonState end_as, const std::string& actor) REQUIRES(addon_mu_, quota_change_mu_);
  // CreateTenant without the capacity check.
  Result<std::shared_ptr<Tenant>> CreateTenantUnchecked(const std::string& id, const std::string& plan,
                                                        std::optional<Tier> tier);
  // CheckCapacity with quota_change_mu_ held.
  Status CheckCapacityLocked(const std::string& id, const Quota& next) const REQUIRES(quota_change_mu_);
  CapacityLimits Limits() const;
  EngineOptions options_;
  // Lock order: request_decision_mu_, addon_mu_, quota_change_mu_.
  // Serializes decisions on quota requests, so that two approvals cannot
  // both apply one request.
  Mutex request_decision_mu_;
  // One add-on change at a time (RunAddons, CancelAddon, an approval that
  // grants one).
  Mutex addon_mu_;
  // Serializes quota changes, so that two changes that each fit cannot
  // together pass the node's capacity.
  mutable Mutex quota_change_mu_;
  // Declaration order is destruction order in reverse: tenants go first.
  const Clock* clock_ = nullptr;
  std::string data_dir_;
  Mutex backup_mu_;
  std::unique_ptr<crypto::KeyProvider> keys_;
  std::vector<std::pair<std::string, double>> open_phases_;
  std::unique_ptr<Storage> storage_;
  // Before the audit log, which taps into them (destroyed after it).
  class WebhookTap;
  std::unique_ptr<WebhookStore> webhooks_;
  std::unique_ptr<WebhookOutbox> outbox_;
  std::unique_ptr<WebhookTap> webhook_tap_;
  Mutex webhook_notify_mu_;  // a leaf: taken last, held only to copy
  std::function<void()> webhook_notify_ GUARDED_BY(webhook_notify_mu_);
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<QuotaStore> quotas_;
  std::unique_ptr<AddonStore> addons_;
  std::unique_ptr<QuotaRequestStore> quota_requests_;
  Mutex grace_mu_;
  std::set<std::string> in_grace_ GUARDED_BY(grace_mu_);  // tenants in a running period
  std::unique_ptr<TenantRegistry> registry_;
  std::unique_ptr<ApiKeyStore> api_keys_;  // after the registry: it checks keys against it
  std::unique_ptr<OperatorKeyStore> operator_keys_;
  std::unique_ptr<FairScheduler> scheduler_;
  std::unique_ptr<TenantExporter> exporter_;
  std::unique_ptr<TenantImporter> importer_;
  std::unique_ptr<TenantTransferSink> transfer_sink_;
  std::unique_ptr<TenantTransferSource> transfer_source_;
  // Last: destroyed first, so their threads stop before what they use.
  std::unique_ptr<MasterKeyRotator> rotator_;
  std::unique_ptr<KeyLifecycle> key_lifecycle_;
};

}  // namespace tenantkv::engine
