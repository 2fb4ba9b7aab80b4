#include "engine/engine.h"

#include <algorithm>
#include <sys/stat.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include <nlohmann/json.hpp>

namespace tenantkv::engine {
namespace {

// The engine's tenants as the rotation policy sees them.
class EngineRotationTarget final : public RotationTarget {
 public:
  EngineRotationTarget(TenantRegistry* registry, KeyLifecycle* lifecycle, AuditLog* audit, std::string actor)
      : registry_(registry), lifecycle_(lifecycle), audit_(audit), actor_(std::move(actor)) {}

  std::vector<std::string> RotationTenants() override {
    std::vector<std::string> ids;
    for (const auto& t : registry_->List()) {
      if (t->state() != TenantState::kDeleting) ids.push_back(t->id());
    }
    return ids;
  }

  Result<CurrentKeyState> RotationCurrentKey(const std::string& tenant) override {
    TKV_ASSIGN_OR_RETURN(KeyStatus st, lifecycle_->Describe(tenant));
    for (const auto& v : st.versions) {
      if (v.state == "active") return CurrentKeyState{v.version, v.created_at_ms, v.seals};
    }
    return Status::Internal("tenant '" + tenant + "' has no active data key");
  }

  Result<uint32_t> RotateForPolicy(const std::string& tenant, DueReason reason) override {
    TKV_ASSIGN_OR_RETURN(DataKeyInfo added, lifecycle_->Rotate(tenant));
    const std::string details = "{\"reason\":\"" + std::string(DueReasonName(reason)) +
                                "\",\"version\":" + std::to_string(added.version) + "}";
    // The rotation stands even if its audit entry cannot be written; that
    // failure is reported as the outcome's error.
    auto entry = audit_->Append(actor_, "key.rotate.scheduled", tenant, details);
    if (!entry.ok()) {
      return Status::Internal("rotated to version " + std::to_string(added.version) +
                              ", but its audit entry failed: " + entry.status().message());
    }
    return added.version;
  }

 private:
  TenantRegistry* const registry_;
  KeyLifecycle* const lifecycle_;
  AuditLog* const audit_;
  const std::string actor_;
};

}  // namespace

Status Engine::FlushUsageHistories(UsageHistoryStore::FlushStats* stats) {
  return registry_->usage_histories().Flush(registry_->List(), clock_->NowUnixMillis(), stats);
}

size_t Engine::EvictIdleKeys(std::chrono::steady_clock::duration idle) {
  const auto now = std::chrono::steady_clock::now();
  size_t evicted = 0;
  for (const auto& t : registry_->List()) evicted += t->keyring().EvictIdle(now, idle);
  return evicted;
}

RotationSweep Engine::RotateDueKeys(const RotationPolicy& policy, const std::string& actor) {
  EngineRotationTarget target(registry_.get(), key_lifecycle_.get(), audit_.get(), actor);
  return RotateDue(target, policy, *clock_);
}

Result<std::unique_ptr<Engine>> Engine::Open(const EngineOptions& options,
                                             std::unique_ptr<crypto::KeyProvider> keys) {
  if (options.data_dir.empty()) return Status::InvalidArgument("data_dir must be set");
  if (::mkdir(options.data_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::Internal("create data dir " + options.data_dir + ": " + std::strerror(errno));
  }
  if (options.scheduler_capacity_ops < 0 || options.disk_bytes < 0 || options.storage_overcommit_ratio < 1 ||
      options.quota_approvals_required < 1 || options.quota_approvals_required > 2) {
    return Status::InvalidArgument("scheduler_capacity_ops and disk_bytes must be >= 0, "
                                   "storage_overcommit_ratio >= 1, quota_approvals_required 1..2");
  }
  std::unique_ptr<Engine> e(new Engine());
  e->options_ = options;
  e->data_dir_ = options.data_dir;
  e->clock_ = options.clock != nullptr ? options.clock : SystemClock::Default();
  e->keys_ = std::move(keys);
  // How long each step of the open took, for the start-up log.
  auto mark = std::chrono::steady_clock::now();
  auto phase = [&e, &mark](const char* name) {
    const auto now = std::chrono::steady_clock::now();
    e->open_phases_.emplace_back(name, std::chrono::duration<double>(now - mark).count());
    mark = now;
  };
  StorageOptions so;
  so.path = options.data_dir + "/db";
  so.sync_writes = options.sync_writes;
  so.group_commit_max_delay_us = options.group_commit_max_delay_us;
  so.block_cache_bytes = options.block_cache_bytes;
  so.memtable_budget_bytes = options.memtable_budget_bytes;
  TKV_ASSIGN_OR_RETURN(e->storage_, Storage::Open(so));
  phase("storage");
  TKV_ASSIGN_OR_RETURN(e->audit_, AuditLog::Open(e->storage_.get(), e->clock_));
  TKV_RETURN_IF_ERROR(e->OpenWebhooks());
  RegistryOptions ro;
  ro.max_value_bytes = options.max_value_bytes;
  ro.scan_fill_cache = options.scan_fill_cache;
  ro.pool.target_spares = options.spare_column_families;
  ro.pooled_column_families = options.pooled_column_families;
  ro.dedicated_dir = options.dedicated_dir.empty() ? options.data_dir + "/dedicated" : options.dedicated_dir;
  ro.dedicated = so;
  ro.dedicated.block_cache_bytes = options.dedicated_block_cache_bytes;
  ro.dedicated.memtable_budget_bytes = options.dedicated_memtable_bytes;
  // A tenant's writes only: one memtable of a quarter of its budget.
  ro.dedicated.tenant_write_buffer_bytes = std::max<size_t>(options.dedicated_memtable_bytes / 4, 1 << 20);
  ro.dedicated.compaction_rate_bytes_per_sec = so.compaction_rate_bytes_per_sec;
  ro.plan_tiers = options.plan_tiers;
  ro.pool.low_water = std::max<size_t>(options.spare_column_families / 4, 1);
  ro.throttle_reasons = options.usage_throttle_reasons;
  ro.tier_moves = options.tier_moves;
  // A move's copy is the tenant's own work, through the fair scheduler
  // (made below, before any move can start; the destructor stops the moves
  // before it goes).
  Engine* const self = e.get();
  ro.tier_moves.run_batch = [self](const Tenant& t, double cost, const std::function<void()>& work) -> Status {
    return self->scheduler_->Run(t.id(), SchedParamsOf(t.limits().quota()), cost, work);
  };
  AuditLog* audit = e->audit_.get();
  ro.tier_moves.on_end = [audit](const std::string& id, const std::string& from, const TierMoveInfo& move) {
    nlohmann::json details = {{"from", from}, {"to", move.to}, {"copied_keys", move.copied_keys}};
    if (!move.error.empty()) details["error"] = move.error;
    audit->Append("system", move.state == "done" ? "tenant.tier_move.done" : "tenant.tier_move.failed", id,
                  details.dump())
        .status()
        .IgnoreError();
  };
  TKV_ASSIGN_OR_RETURN(e->addons_, AddonStore::Open(e->storage_.get()));
  TKV_ASSIGN_OR_RETURN(e->quota_requests_, QuotaRequestStore::Open(e->storage_.get(), e->clock_));
  phase("audit, webhooks, add-ons, requests");
  // The quota manifests (one per tenant) are read and parsed on a second
  // thread while the registry loads the tenants: neither needs the other
  // until both are done (the registry asks for plans only at a create).
  // The API key records are read and parsed there too (Open binds them to
  // the tenants afterwards).
  Result<std::unique_ptr<QuotaStore>> quotas_opened = Status::Internal("not run");
  Result<ApiKeyStore::Stored> api_keys_read = Status::Internal("not run");
  std::thread quota_loader([&] {
    quotas_opened = QuotaStore::Open(e->storage_.get(), e->clock_);
    if (quotas_opened.ok()) api_keys_read = ApiKeyStore::Read(e->storage_.get());
  });
  struct Join {
    std::thread& t;
    ~Join() {
      if (t.joinable()) t.join();
    }
  } join_quota_loader{quota_loader};
  ro.plan_exists = [self](const std::string& name) { return self->quotas_->GetPlan(name).ok(); };
  if (options.max_seals_per_key == 0 || options.max_seals_per_key > (uint64_t{1} << 32) ||
      options.seal_reserve_block == 0 || options.reencrypt_batch_keys == 0 ||
      options.reencrypt_duty_percent < 1 || options.reencrypt_duty_percent > 100) {
    return Status::InvalidArgument("max_seals_per_key must be 1..2^32, seal_reserve_block and "
                                   "reencrypt_batch_keys at least 1, reencrypt_duty_percent 1..100");
  }
  ro.seals.bound = options.max_seals_per_key;
  // Past twice the bound (never past the nonce bound of random 96-bit
  // nonces) a version whose rotations keep failing stops sealing.
  ro.seals.limit = std::min(2 * options.max_seals_per_key, uint64_t{1} << 32);
  ro.seals.block = options.seal_reserve_block;
  // Set before any tenant can seal (the lifecycle exists once Open returns).
  ro.on_storage_grace = [self](const std::string& id, GraceEvent event, const GraceState& state) {
    self->OnStorageGrace(id, event, state);
  };
  ro.on_seal_bound = [self](const std::string& id, uint32_t version) {
    if (self->key_lifecycle_) self->key_lifecycle_->RequestAutoRotate(id, version);
  };
  TKV_ASSIGN_OR_RETURN(e->registry_,
                       TenantRegistry::Open(e->storage_.get(), e->keys_.get(), e->clock_, ro));
  phase("tenants");
  quota_loader.join();
  TKV_ASSIGN_OR_RETURN(e->quotas_, std::move(quotas_opened));
  TKV_ASSIGN_OR_RETURN(ApiKeyStore::Stored stored_keys, std::move(api_keys_read));
  phase("quotas and API keys read (after the tenants)");
  TKV_ASSIGN_OR_RETURN(e->operator_keys_, OperatorKeyStore::Open(e->storage_.get(), e->clock_));
  TKV_ASSIGN_OR_RETURN(e->api_keys_, ApiKeyStore::Open(e->storage_.get(), e->clock_, e->registry_.get(),
                                                        options.max_api_keys_per_tenant, std::move(stored_keys)));
  phase("API keys");
  TKV_RETURN_IF_ERROR(e->ReconcileQuotas());
  TKV_RETURN_IF_ERROR(e->RestoreStorageGrace());
  phase("quota enforcement, grace");
  for (const auto& endpoint : e->webhooks_->All()) {
    if (!endpoint.global() && !e->registry_->Get(endpoint.tenant).ok()) {
      TKV_RETURN_IF_ERROR(e->RemoveTenantWebhooks(endpoint.tenant));
    }
  }
  e->scheduler_ = std::make_unique<FairScheduler>(options.scheduler_slots, e->clock_);
  e->exporter_ = std::make_unique<TenantExporter>(e->registry_.get(), e->quotas_.get(), e->clock_,
                                                  options.data_dir);
  TenantImporter::CleanStaging(options.data_dir);
  e->importer_ = std::make_unique<TenantImporter>(e->registry_.get(), options.data_dir);
  TransferStores ts{e->storage_.get(), e->clock_,         e->registry_.get(), e->api_keys_.get(),
                    e->quotas_.get(),  e->addons_.get(), e->webhooks_.get()};
  e->transfer_sink_ = std::make_unique<TenantTransferSink>(ts);
  e->transfer_source_ = std::make_unique<TenantTransferSource>(ts, options.transfers);
  e->rotator_ = std::make_unique<MasterKeyRotator>(e->storage_.get(), e->keys_.get(), e->registry_.get(),
                                                   e->audit_.get(), e->clock_);
  WebhookStore* webhooks = e->webhooks_.get();
  e->rotator_->SetExtraRewrap([webhooks](uint32_t to) { return webhooks->RewrapAll(to).status(); });
  TKV_RETURN_IF_ERROR(e->rotator_->ResumeInBackground());
  KeyLifecycleOptions ko;
  ko.batch_keys = options.reencrypt_batch_keys;
  ko.duty_percent = options.reencrypt_duty_percent;
  ko.background = options.background_jobs;
  e->key_lifecycle_ = std::make_unique<KeyLifecycle>(e->storage_.get(), e->registry_.get(), e->scheduler_.get(),
                                                     e->audit_.get(), ko);
  TKV_RETURN_IF_ERROR(e->key_lifecycle_->Start());
  phase("jobs");
#ifdef __GLIBC__
  // The loads above parse every tenant's records into temporaries (JSON,
  // the record lists) that are freed by now, among objects that stay: the
  // allocator keeps those pages. Give them back once, before the node
  // serves (at 100,000 tenants, tens of MB).
  malloc_trim(0);
#endif
  return e;
}

// Every tenant gets a manifest (a crash between creating a tenant and its
// manifest leaves none), manifests of tenants that are gone are removed, and
// each tenant's limits are enforced from its current manifest.
Status Engine::ReconcileQuotas() {
  for (const auto& id : quotas_->Tenants()) {
    if (registry_->Get(id).ok()) continue;
    TKV_RETURN_IF_ERROR(quota_requests_->RemoveTenant(id));
    TKV_RETURN_IF_ERROR(quotas_->RemoveTenant(id));
  }
  for (const auto& id : addons_->Tenants()) {
    if (!registry_->Get(id).ok()) TKV_RETURN_IF_ERROR(addons_->RemoveTenant(id));
  }
  for (const auto& t : registry_->List()) {
    auto m = quotas_->Current(t->id());
    if (!m.ok()) m = quotas_->Initialize(t->id(), t->Info().plan, "operator");
    if (!m.ok()) return m.status();
    Enforce(*t, m->quota);
  }
  return Status::Ok();
}

void Engine::Enforce(Tenant& tenant, const Quota& q) {
  tenant.limits().Apply(q, clock_->NowMonotonicMicros());
  tenant.store().SetLimits(q.storage_bytes, q.max_value_bytes);
  tenant.store().SetGrace(q.storage_grace_pct, q.storage_grace_seconds);
}

Result<std::shared_ptr<Tenant>> Engine::CreateTenant(const std::string& id, const std::string& plan,
                                                     std::optional<Tier> tier) {
  if (!options_.capacity_check_on_create) return CreateTenantUnchecked(id, plan, tier);
  // Held over the creation, so that no quota change slips in between.
  MutexLock lock(quota_change_mu_);
  // An unknown plan is the registry's to refuse, with its own error.
  auto p = quotas_->GetPlan(plan.empty() ? RegistryOptions().default_plan : plan);
  if (p.ok()) TKV_RETURN_IF_ERROR(CheckCapacityLocked(id, p->defaults));
  return CreateTenantUnchecked(id, plan, tier);
}

Result<std::shared_ptr<Tenant>> Engine::CreateTenantUnchecked(const std::string& id, const std::string& plan,
                                                              std::optional<Tier> tier) {
  TKV_ASSIGN_OR_RETURN(auto tenant, registry_->Create(id, plan, tier));
  TKV_ASSIGN_OR_RETURN(QuotaManifest m, quotas_->Initialize(id, tenant->Info().plan, "operator"));
  Enforce(*tenant, m.quota);
  return tenant;
}

Result<QuotaManifest> Engine::UpdateQuota(const std::string& id, const Quota& next,
                                          const std::string& author, bool by_tenant_admin) {
  TKV_ASSIGN_OR_RETURN(auto tenant, registry_->Get(id));
  TKV_ASSIGN_OR_RETURN(QuotaManifest current, quotas_->Current(id));
  if (by_tenant_admin) {
    TKV_ASSIGN_OR_RETURN(Plan plan, quotas_->GetPlan(tenant->Info().plan));
    TKV_RETURN_IF_ERROR(CheckPlanRange(plan, current.quota, next));
  }
  TKV_RETURN_IF_ERROR(ValidateQuota(next));
  MutexLock lock(quota_change_mu_);
  TKV_RETURN_IF_ERROR(CheckCapacityLocked(id, next));
  TKV_ASSIGN_OR_RETURN(QuotaManifest m, quotas_->Update(id, next, author));
  EnforceCurrent(id);
  return m;
}

Result<QuotaManifest> Engine::RevertQuota(const std::string& id, int64_t version, const std::string& author) {
  TKV_RETURN_IF_ERROR(registry_->Get(id).status());
  MutexLock lock(quota_change_mu_);
  TKV_ASSIGN_OR_RETURN(QuotaHistoryPage old, quotas_->HistoryPage(id, version - 1, 1));
  if (old.versions.empty() || old.versions.front().version != version) {
    return Status::NotFound("no quota version " + std::to_string(version), "version_not_found");
  }
  TKV_RETURN_IF_ERROR(CheckCapacityLocked(id, old.versions.front().quota));
  TKV_ASSIGN_OR_RETURN(QuotaManifest m, quotas_->Revert(id, version, author));
  EnforceCurrent(id);
  return m;
}

Result<TenantRegistry::DeleteOutcome> Engine::DeleteTenant(const std::string& id) {
  TKV_ASSIGN_OR_RETURN(TenantRegistry::DeleteOutcome out,
                       registry_->Delete(id, [&] { return api_keys_->RemoveTenant(id); }));
  if (!out.purged) return out;
  scheduler_->Forget(id);
  {
    MutexLock lock(addon_mu_);  // not while one of its add-ons changes
    TKV_RETURN_IF_ERROR(addons_->RemoveTenant(id));
  }
  TKV_RETURN_IF_ERROR(ForgetStorageGrace(id));
  TKV_RETURN_IF_ERROR(RemoveTenantWebhooks(id));
  // Requests first: a crash between the two leaves a manifest, which the
  // next open's reconciliation removes with any requests.
  TKV_RETURN_IF_ERROR(quota_requests_->RemoveTenant(id));
  TKV_RETURN_IF_ERROR(quotas_->RemoveTenant(id));
  return out;
}

}  // namespace tenantkv::engine

namespace tenantkv::engine {

Result<ExportSummary> Engine::ExportTenant(const std::string& id, const std::string& dir, bool verify,
                                           bool* verified) {
  TKV_ASSIGN_OR_RETURN(ExportSummary s, exporter_->Export(id, dir));
  if (verify) {
    ImportRequest check;
    check.dir = dir;
    check.dry_run = true;
    TKV_ASSIGN_OR_RETURN(ImportOutcome checked, importer_->Import(check));
    if (checked.entries.keys != s.entries.keys) {
      return Status::Internal("the export just written does not verify", "export_verify_failed");
    }
    if (verified != nullptr) *verified = true;
  }
  return s;
}

Result<std::string> Engine::TenantHandover(const std::string& id, std::string_view passphrase) {
  return exporter_->Handover(id, passphrase);
}

Result<ImportOutcome> Engine::ImportTenant(const ImportRequest& request) {
  if (!request.plan.empty()) TKV_RETURN_IF_ERROR(quotas_->GetPlan(request.plan).status());
  TKV_ASSIGN_OR_RETURN(ImportOutcome out, importer_->Import(request));
  if (out.created == nullptr) return out;
  const std::string plan = out.created->Info().plan;
  TKV_ASSIGN_OR_RETURN(QuotaManifest m, quotas_->Initialize(out.tenant, plan, "operator"));
  bool same = true;
  for (const auto& f : QuotaFields()) same = same && m.quota.*f.member == out.manifest.quota.*f.member;
  if (!same) {
    TKV_ASSIGN_OR_RETURN(m, quotas_->Update(out.tenant, out.manifest.quota, "import"));
  }
  Enforce(*out.created, m.quota);
  return out;
}

Result<NodeBackupInfo> Engine::BackupNode(const std::string& dir) {
  if (!backup_mu_.TryLock()) {
    return Status::Unavailable("another node backup is running", "backup_in_progress");
  }
  MutexLock lock(backup_mu_, kAdoptLock);
  TKV_RETURN_IF_ERROR(PrepareBackupDir(dir, data_dir_));
  Result<NodeBackupInfo> out = Status::Internal("no backup made");
  TKV_RETURN_IF_ERROR(registry_->WithDedicatedFrozen(
      [&](const std::vector<std::pair<std::string, std::shared_ptr<Storage>>>& open) -> Status {
        std::vector<std::pair<std::string, Storage*>> dedicated;
        for (const auto& [name, db] : open) dedicated.emplace_back(name, db.get());
        out = CreateNodeBackup(storage_.get(), dir, dedicated);
        return out.status();
      }));
  return out;
}

}  // namespace tenantkv::engine
