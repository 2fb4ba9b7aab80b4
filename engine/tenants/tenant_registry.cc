#include "engine/tenants/tenant_registry.h"
#include "engine/storage/system_keys.h"

#include <rocksdb/write_batch.h>

#include <algorithm>

#include "crypto/aead.h"
#include "crypto/random.h"
#include "engine/kv/cf_tenant_store.h"
#include "engine/storage/rocks_status.h"
#include "engine/tenants/tenant_id.h"

namespace tenantkv::engine {
namespace {

constexpr size_t kIncarnationBytes = 16;

}  // namespace

TenantRegistry::~TenantRegistry() {
  if (mover_ != nullptr) mover_->Stop();
  // A clean stop: each dedicated tenant whose database was opened leaves
  // its usage in the node's DB, where the next start reads it without
  // opening that database. One missing there (a crash while its database
  // was open) is opened at the next start instead.
  rocksdb::WriteBatch usage;
  for (const auto& t : directory_.List()) {
    if (TierOfPlacement(t->Info().placement) != Tier::kDedicated || !t->movable_store().opened()) continue;
    t->movable_store().Close();  // no write after the usage is read
    directory_.StageUsage(t->id(), t->movable_store().GetUsage(), &usage);
  }
  if (usage.Count() > 0) storage_->db()->Write(storage_->meta_write_options(), &usage).PermitUncheckedError();
}

Result<std::unique_ptr<TenantRegistry>> TenantRegistry::Open(Storage* storage,
                                                             const crypto::KeyProvider* keys,
                                                             const Clock* clock,
                                                             RegistryOptions options) {
  std::unique_ptr<TenantRegistry> r(new TenantRegistry(storage, keys, clock, std::move(options)));
  TKV_RETURN_IF_ERROR(r->Load());
  return r;
}

Status TenantRegistry::Load() {
  // One copy of the seal-counting options for every tenant's counter.
  auto seals = std::make_shared<SealCounterOptions>(options_.seals);
  seals->on_bound = nullptr;
  if (options_.on_seal_bound) {
    seals->on_bound = [this](const std::string& tenant, uint32_t v) { options_.on_seal_bound(tenant, v); };
  }
  seal_options_ = std::move(seals);
  TKV_ASSIGN_OR_RETURN(std::vector<TenantInfo> infos, directory_.LoadRecords());
  // The placement takes back every place no live tenant owns, the ones of
  // interrupted deletes included.
  PlacementOptions po;
  po.pool = options_.pool;
  po.pooled_column_families = options_.pooled_column_families;
  po.dedicated_dir = options_.dedicated_dir;
  po.dedicated = options_.dedicated;
  TKV_ASSIGN_OR_RETURN(placement_, TenantPlacement::Open(storage_, infos, std::move(po)));
  TKV_RETURN_IF_ERROR(CleanTransfersIn());
  mover_ = std::make_unique<TierMover>(
      storage_, placement_.get(), &directory_, clock_,
      [this](Tenant& t, const Place& place, const Usage& usage) -> Result<std::unique_ptr<CfTenantStore>> {
        return MakeStore(t, place, usage);
      },
      options_.tier_moves);
  TKV_ASSIGN_OR_RETURN(const Preloaded preloaded, Preload());
  for (auto& info : infos) {
    if (info.state == TenantState::kDeleting) {
      // Finish a delete that was interrupted or whose purge failed; if it
      // fails again it stays pending (id taken, retried by a Delete).
      bool owns_place = false;
      if (!Shred(info, &owns_place).ok()) directory_.AddPending(info, /*owns_place=*/false);
      continue;
    }
    if (info.incarnation.empty()) {
      // A record written before tenants had incarnations (ApiKeyStore::Open
      // then binds its keys to this one).
      TKV_ASSIGN_OR_RETURN(info.incarnation, crypto::RandomHex(kIncarnationBytes));
      TKV_RETURN_IF_ERROR(PersistInfo(info));
    }
    if (info.tier_move.has_value() && info.tier_move->running()) {
      // A move the server stopped in: the tenant stays where its record
      // says; the place being filled is emptied (a column family by the
      // placement's open already, as nobody owns it).
      rocksdb::WriteBatch batch;
      const std::string target = info.tier_move->place;
      TKV_RETURN_IF_ERROR(TierMover::StageRollBack(*placement_, directory_, clock_->NowUnixMillis(), info, &batch));
      TKV_RETURN_IF_ERROR(
          FromRocks(storage_->db()->Write(storage_->meta_write_options(), &batch), "roll back tier move"));
      placement_->Compact(target).IgnoreError();  // best effort: the range delete hides it already
    }
    // A dedicated database is opened on first use when the node's DB has
    // its usage (recorded at a clean stop); else (a crash while it was
    // open) now, to read its exact usage.
    Place place;
    if (LazyDedicated(info, &preloaded)) {
      place.name = info.placement;
    } else {
      TKV_ASSIGN_OR_RETURN(place, placement_->Find(info));
    }
    std::string id = info.id;
    TKV_ASSIGN_OR_RETURN(auto tenant, Materialize(std::move(info), std::move(place), &preloaded));
    directory_.Publish(id, std::move(tenant));
  }
  return Status::Ok();
}

Result<TenantRegistry::Preloaded> TenantRegistry::Preload() const {
  Preloaded out;
  const rocksdb::ReadOptions ro = ReadOnceOptions();
  {
    std::unique_ptr<rocksdb::Iterator> it(storage_->db()->NewIterator(ro, storage_->system()));
    const std::string prefix = kUsagePrefix;
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      std::string id = it->key().ToString().substr(prefix.size());
      TKV_ASSIGN_OR_RETURN(Usage usage, TenantDirectory::ParseUsage(id, it->value().ToStringView()));
      out.usage.emplace(std::move(id), usage);
    }
    TKV_RETURN_IF_ERROR(FromRocks(it->status(), "read usage records"));
  }
  // kstat/<id>/seals/<8 hex> and kstat/<id>/values/<8 hex> (tenant ids
  // hold no '/').
  std::unique_ptr<rocksdb::Iterator> it(storage_->db()->NewIterator(ro, storage_->system()));
  const std::string prefix = kKeyStatsPrefix;
  const std::string values_v1 = "values/" + KeyVersionHex(1);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    const std::string_view key = it->key().ToStringView().substr(prefix.size());
    const size_t slash = key.find('/');
    if (slash == std::string_view::npos) continue;
    const std::string id(key.substr(0, slash));
    const std::string_view rest = key.substr(slash + 1);
    if (rest.rfind("seals/", 0) == 0) {
      out.seals[id].emplace_back(std::string(rest.substr(6)), it->value().ToString());
    } else if (rest == values_v1) {
      out.counted_v1.insert(id);
    }
  }
  TKV_RETURN_IF_ERROR(FromRocks(it->status(), "read key statistics"));
  return out;
}

Result<std::shared_ptr<Tenant>> TenantRegistry::Materialize(TenantInfo info, Place place, const Preloaded* preloaded) {
  auto tenant = std::make_shared<Tenant>(info);
  // A pooled tenant's keys are unwrapped on first use (by the loader below),
  // not here: most pooled tenants are idle, and each key held costs a locked
  // page and an unwrap (a round trip with an HSM) at every start.
  const Tier tier = TierOfPlacement(info.placement);
  const bool lazy_keys = tier == Tier::kPooled || tier == Tier::kDedicated;
  uint32_t newest = 0;
  for (const auto& k : info.data_keys) {
    if (k.state == "destroyed") continue;
    newest = std::max(newest, k.version);
    if (lazy_keys) {
      tenant->keyring().AddUnloaded(k.version, k.version == newest);
      continue;
    }
    TKV_ASSIGN_OR_RETURN(crypto::SecretBytes key, key_store_.UnwrapDataKey(info.id, k.version));
    tenant->keyring().Add(k.version, std::move(key), k.version == newest);
  }
  // An evicted key (Keyring::EvictIdle) is read and unwrapped again from
  // its record, under whatever master version it is wrapped by then.
  // The callbacks a tenant keeps capture it by pointer, not its id by
  // value: no allocation of their own per tenant (they die with it).
  tenant->keyring().SetLoader(
      [this, t = tenant.get()](uint32_t version) { return key_store_.UnwrapDataKey(t->id(), version); });
  const bool lazy_dedicated = LazyDedicated(info, preloaded);
  Usage usage;
  if (lazy_dedicated) {
    usage = preloaded->usage.at(info.id);  // as recorded at the last clean stop
  } else if (place.db != nullptr) {
    // A dedicated tenant's counters live in its own database, beside its data.
    TKV_ASSIGN_OR_RETURN(usage, TenantDirectory::ReadUsageIn(*place.db, info.id));
    TKV_RETURN_IF_ERROR(InitValueCounts(*place.db, info, usage, nullptr));
  } else {
    if (preloaded != nullptr) {
      if (auto it = preloaded->usage.find(info.id); it != preloaded->usage.end()) usage = it->second;
    } else {
      TKV_ASSIGN_OR_RETURN(usage, directory_.ReadUsage(info.id));
    }
    TKV_RETURN_IF_ERROR(InitValueCounts(*storage_, info, usage, preloaded));
  }
  tenant->InitSeals(std::make_unique<SealCounter>(storage_, tenant->id(), seal_options_));
  if (preloaded != nullptr) {
    auto it = preloaded->seals.find(info.id);
    if (it != preloaded->seals.end()) TKV_RETURN_IF_ERROR(tenant->seals().LoadFrom(it->second));
  } else {
    TKV_RETURN_IF_ERROR(tenant->seals().Load());
  }
  if ((tier == Tier::kPooled && preloaded != nullptr) || lazy_dedicated) {
    // An idle pooled or dedicated tenant gets no store at start-up: it is
    // built on the tenant's first use, in the place its record names then.
    tenant->InitStore(std::make_unique<MovableTenantStore>(
        [this, t = tenant.get()](const Usage& persisted) -> Result<std::unique_ptr<CfTenantStore>> {
          TKV_ASSIGN_OR_RETURN(const Place now, placement_->Find(t->Info()));
          if (now.db == nullptr) return MakeStore(*t, now, persisted);
          // Its database's own counters are the exact ones.
          TKV_ASSIGN_OR_RETURN(const Usage own, TenantDirectory::ReadUsageIn(*now.db, t->id()));
          return MakeStore(*t, now, own);
        },
        usage));
  } else {
    TKV_ASSIGN_OR_RETURN(std::unique_ptr<CfTenantStore> store, MakeStore(*tenant, place, usage));
    tenant->InitStore(std::make_unique<MovableTenantStore>(std::move(store)));
  }
  return tenant;
}

bool TenantRegistry::LazyDedicated(const TenantInfo& info, const Preloaded* preloaded) {
  return preloaded != nullptr && TierOfPlacement(info.placement) == Tier::kDedicated &&
         preloaded->usage.count(info.id) != 0;
}

Result<std::unique_ptr<CfTenantStore>> TenantRegistry::MakeStore(Tenant& t, const Place& place,
                                                                 const Usage& usage) const {
  if (place.db != nullptr && t.Info().placement == place.name) {
    // The usage the node's DB holds for a dedicated tenant is exact only
    // while its database is closed: it goes before the store can write,
    // and comes back at a clean stop (~TenantRegistry). (A move's target
    // is not the record's place yet: its switch does this.)
    TKV_RETURN_IF_ERROR(FromRocks(
        storage_->db()->Delete(storage_->meta_write_options(), storage_->system(), TenantDirectory::UsageKey(t.id())),
        "mark dedicated usage open"));
  }
  CfTenantStoreOptions so;
  so.seals = &t.seals();
  so.tenant_id = t.id();
  so.cf = place.cf;
  if (place.db != nullptr) {
    // The store keeps a dedicated database open until it closes; a handle
    // that does not own it serves its reads and writes.
    so.keep_open = place.cf;
    so.cf = CfHandle(CfHandle(), place.cf.get());
  }
  so.key_prefix = place.key_prefix;
  // A pooled tenant is mostly idle and there are many: fewer write locks.
  if (TierOfPlacement(place.name) == Tier::kPooled) so.stripes = 8;
  so.usage_key = TenantDirectory::UsageKey(t.id());
  so.initial_usage = usage;
  so.max_value_bytes = options_.max_value_bytes;
  so.scan_fill_cache = options_.scan_fill_cache;
  if (options_.on_storage_grace) {
    so.on_grace = [this, tp = &t](GraceEvent e, const GraceState& g) { options_.on_storage_grace(tp->id(), e, g); };
  }
  // The counters the store changes with the data are in the data's database.
  return std::make_unique<CfTenantStore>(place.DbOr(storage_), &t.keyring(), clock_, std::move(so));
}

Status TenantRegistry::InitValueCounts(Storage& db, const TenantInfo& info, const Usage& usage,
                                       const Preloaded* preloaded) {
  if (info.data_keys.size() != 1) return Status::Ok();
  const std::string key = ValuesCountKey(info.id, info.data_keys[0].version);
  if (preloaded != nullptr && info.data_keys[0].version == 1) {
    if (preloaded->counted_v1.count(info.id) != 0) return Status::Ok();
  } else {
    std::string raw;
    rocksdb::Status s = db.db()->Get(rocksdb::ReadOptions(), db.system(), key, &raw);
    if (!s.IsNotFound()) return FromRocks(s, "read value count");
  }
  return FromRocks(db.db()->Put(db.meta_write_options(), db.system(), key, EncodeUsageDelta(usage.keys, 0)),
                   "initialise value count");
}

Status TenantRegistry::FaultForTestAt(FaultForTest at) {
  FaultForTest expected = at;
  if (at != FaultForTest::kNone && fault_for_test_.compare_exchange_strong(expected, FaultForTest::kNone)) {
    return Status::Internal("fault injected by a test", "injected_fault");
  }
  return Status::Ok();
}

Status TenantRegistry::PersistInfo(const TenantInfo& info) {
  TKV_RETURN_IF_ERROR(FaultForTestAt(FaultForTest::kPersistInfo));
  return directory_.PersistRecord(info);
}

Status TenantRegistry::CommitNewTenant(TenantInfo& info, const crypto::SecretBytes& data_key,
                                       const Place& place, const Usage& usage) {
  info.placement = place.name;
  ReaderLock wraps(key_store_.wrap_mutex());  // no master switch until the key is persisted
  rocksdb::WriteBatch batch;
  TKV_ASSIGN_OR_RETURN(info.data_keys[0].master_version,
                       key_store_.StageDataKey(info.id, 1, info.created_at_ms, data_key, &batch));
  TKV_RETURN_IF_ERROR(directory_.StageRecord(info, &batch));
  // The usage and value counts go where the store changes them with the
  // data: a dedicated database's are written (synced) before the record
  // that names it, which a crash in between leaves unowned (removed at
  // the next start).
  Storage& data_db = *place.DbOr(storage_);
  rocksdb::WriteBatch own;
  rocksdb::WriteBatch& counts = &data_db == storage_ ? batch : own;
  TenantDirectory::StageUsageIn(data_db, info.id, usage, &counts);
  // Every value starts on version 1; an import sealed each of them once.
  counts.Put(data_db.system(), ValuesCountKey(info.id, 1), EncodeUsageDelta(usage.keys, 0)).PermitUncheckedError();
  if (own.Count() > 0) {
    TKV_RETURN_IF_ERROR(FromRocks(data_db.db()->Write(data_db.meta_write_options(), &own), "create tenant counters"));
  }
  if (usage.keys > 0) {
    batch.Put(storage_->system(), SealsKey(info.id, 1), std::to_string(usage.keys)).PermitUncheckedError();
  }
  placement_->StageClaim(place, &batch);
  return FromRocks(storage_->db()->Write(storage_->meta_write_options(), &batch), "create tenant");
}

Status TenantRegistry::CommitNewTenantGated(TenantInfo& info, const crypto::SecretBytes& data_key,
                                            const Place& place, const Usage& usage) {
  if (place.db == nullptr) return CommitNewTenant(info, data_key, place, usage);
  ReaderLock no_backup(placement_->backup_gate());  // a backup copies what the record names
  return CommitNewTenant(info, data_key, place, usage);
}

Status TenantRegistry::WithDedicatedFrozen(
    const std::function<Status(const std::vector<std::pair<std::string, std::shared_ptr<Storage>>>&)>& fn) {
  // Every dedicated tenant's database open (most are opened on first use);
  // one created from here on waits for the gate.
  for (const auto& t : directory_.List()) {
    if (TierOfPlacement(t->Info().placement) != Tier::kDedicated) continue;
    Result<CfTenantStore*> opened = t->movable_store().Current();
    if (!opened.ok() && opened.status().reason() != "tenant_not_found") return opened.status();
  }
  WriterLock frozen(placement_->backup_gate());
  std::vector<std::pair<std::string, std::shared_ptr<Storage>>> open = placement_->OpenDedicated();
  for (auto& entry : open) entry.first = entry.first.substr(entry.first.find(':') + 1);  // "ded:<dir>"
  return fn(open);
}

Tier TenantRegistry::DefaultTier(const std::string& plan) const {
  auto it = options_.plan_tiers.find(plan.empty() ? options_.default_plan : plan);
  return it == options_.plan_tiers.end() ? options_.default_tier : it->second;
}

Result<std::shared_ptr<Tenant>> TenantRegistry::Create(const std::string& id,
                                                       const std::string& plan_in, std::optional<Tier> tier) {
  TKV_ASSIGN_OR_RETURN(TenantInfo info, Begin(id, plan_in));
  auto build = [&]() -> Result<std::shared_ptr<Tenant>> {
    TKV_ASSIGN_OR_RETURN(crypto::SecretBytes data_key, crypto::SecretBytes::Random(crypto::kAeadKeyBytes));
    // A free place (a spare column family, or a new prefix in a shared
    // one): nobody's writes stall.
    TKV_ASSIGN_OR_RETURN(Place place, placement_->Take(tier.value_or(DefaultTier(info.plan))));
    if (Status s = CommitNewTenantGated(info, data_key, place, Usage{}); !s.ok()) {
      placement_->Return(std::move(place));
      return s;
    }
    return Materialize(info, std::move(place));
  };
  auto tenant = build();
  directory_.Publish(id, tenant.ok() ? *tenant : nullptr);
  return tenant;
}

Result<std::shared_ptr<Tenant>> TenantRegistry::Get(const std::string& id) const { return directory_.Get(id); }

std::vector<std::shared_ptr<Tenant>> TenantRegistry::List() const { return directory_.List(); }

std::vector<std::shared_ptr<Tenant>> TenantRegistry::ListAfter(const std::string& start_after, size_t max) const {
  return directory_.ListAfter(start_after, max);
}

Result<std::shared_ptr<Tenant>> TenantRegistry::SetSuspended(const std::string& id, bool suspended) {
  TKV_ASSIGN_OR_RETURN(std::shared_ptr<Tenant> t, Get(id));
  TKV_RETURN_IF_ERROR(t->ChangeInfo([&](TenantInfo& next) -> Status {
    // A delete began since the lookup: never overwrite its "deleting".
    if (next.state == TenantState::kDeleting) return TenantNotFound(id);
    next.state = suspended ? TenantState::kSuspended : TenantState::kActive;
    return PersistInfo(next);
  }));
  return t;
}

Result<TenantRegistry::DeleteOutcome> TenantRegistry::Delete(const std::string& id,
                                                             const std::function<Status()>& on_deleting) {
  TKV_ASSIGN_OR_RETURN(TenantDirectory::DeleteStart start, directory_.BeginDelete(id));
  DeleteOutcome out;
  out.resumed = start.resumed;
  if (start.running) return out;  // that delete finishes it, or leaves it pending
  TenantDirectory::PendingPurge purge = std::move(start.purge);
  Status s;
  if (std::shared_ptr<Tenant> t = start.live; t != nullptr) {
    // A master-key rotation rewrapping this tenant finishes first, or sees it
    // deleting and leaves it: nothing rewrites its keys after the shredding.
    MutexLock key_lock(t->key_mutex());
    // Persisted before anything else changes: if it fails, nothing has.
    s = t->ChangeInfo([&](TenantInfo& next) -> Status {
      next.state = TenantState::kDeleting;
      TKV_RETURN_IF_ERROR(PersistInfo(next));
      purge.info = next;
      return Status::Ok();
    });
    if (s.ok()) directory_.MarkDeleting(id, purge);
    // Its state is "deleting" now: a flush writing its usage history ends
    // before RemoveRecords, and none writes it after.
    if (s.ok()) UsageHistoryStore::Barrier(*t);
    if (s.ok() && on_deleting) s = on_deleting();
    if (s.ok()) {
      // No write may land after the range delete: close the store first.
      t->store().Close();
      t->keyring().DestroyAll();
      s = Shred(purge.info, &purge.owns_place);
    }
  } else {
    if (on_deleting) s = on_deleting();
    if (s.ok()) s = Shred(purge.info, &purge.owns_place);
  }
  directory_.FinishDelete(id, s.ok(), purge.owns_place);
  if (!s.ok()) return s;
  out.purged = true;
  return out;
}

Result<TenantInfo> TenantRegistry::PendingDelete(const std::string& id) const {
  return directory_.PendingDelete(id);
}

std::vector<TenantInfo> TenantRegistry::PendingDeletes() const { return directory_.PendingDeletes(); }

// Destroys the wrapped keys and, in the same batch, releases the tenant's
// place (emptying it), then purges the destroyed key records from the DB's
// files and removes the tenant's records. Idempotent: safe to re-run after
// a crash.
Status TenantRegistry::Shred(const TenantInfo& info, bool* owns_place) {
  TKV_RETURN_IF_ERROR(FaultForTestAt(FaultForTest::kShredKeys));
  rocksdb::WriteBatch keys;
  TKV_RETURN_IF_ERROR(key_store_.StageDestroyAll(info.id, &keys));
  bool release = false;
  // A pooled place is released again on every run: its range delete is
  // idempotent (its prefix is never reused), and the start-up that finishes
  // an interrupted delete has nothing else that would empty it.
  // A dedicated database likewise: releasing it again only removes its
  // directory if it is still there.
  auto released_always = [](const std::string& place) { return TierOfPlacement(place) != Tier::kColumnFamily; };
  if (*owns_place || released_always(info.placement)) {
    TKV_RETURN_IF_ERROR(placement_->StageRelease(info.placement, &keys, &release));
  }
  // The place a tier move was filling is the tenant's too (a column family
  // of it is taken back by the start-up, as for the tenant's own).
  std::string moving_to;
  bool release_move = false;
  if (info.tier_move.has_value() && info.tier_move->running()) moving_to = info.tier_move->place;
  if (!moving_to.empty() && (*owns_place || released_always(moving_to))) {
    TKV_RETURN_IF_ERROR(placement_->StageRelease(moving_to, &keys, &release_move));
  }
  TKV_RETURN_IF_ERROR(FromRocks(storage_->db()->Write(storage_->meta_write_options(), &keys), "destroy data keys"));
  *owns_place = false;
  if (release) placement_->Released(info.placement);
  if (release_move) placement_->Released(moving_to);
  if (!moving_to.empty()) TKV_RETURN_IF_ERROR(placement_->Compact(moving_to));
  // The keys are gone; now the user keys and sealed values leave the files.
  TKV_RETURN_IF_ERROR(placement_->Compact(info.placement));
  TKV_RETURN_IF_ERROR(FaultForTestAt(FaultForTest::kShredPurge));
  TKV_RETURN_IF_ERROR(key_store_.PurgeAll(info.id));
  return directory_.RemoveRecords(info.id);
}

Status TenantRegistry::CheckPlan(const std::string& plan) const {
  const bool plan_ok = options_.plan_exists
                           ? options_.plan_exists(plan)
                           : std::find(options_.plans.begin(), options_.plans.end(), plan) != options_.plans.end();
  if (!plan_ok) return Status::InvalidArgument("unknown plan '" + plan + "'", "unknown_plan");
  return Status::Ok();
}

Result<TenantInfo> TenantRegistry::Begin(const std::string& id, const std::string& plan_in) {
  TKV_RETURN_IF_ERROR(ValidateTenantId(id));
  const std::string plan = plan_in.empty() ? options_.default_plan : plan_in;
  TKV_RETURN_IF_ERROR(CheckPlan(plan));
  TenantInfo info;
  TKV_ASSIGN_OR_RETURN(info.incarnation, crypto::RandomHex(kIncarnationBytes));
  TKV_RETURN_IF_ERROR(directory_.Reserve(id));
  info.id = id;
  info.plan = plan;
  info.created_at_ms = clock_->NowUnixMillis();
  info.data_keys.push_back({1, "active", info.created_at_ms, 0});  // master version set when wrapped
  return info;
}

Result<std::shared_ptr<Tenant>> TenantRegistry::CreateImported(const std::string& id,
                                                               const std::string& plan_in,
                                                               crypto::SecretBytes data_key,
                                                               const std::vector<std::string>& sst_files,
                                                               const Usage& usage, Tier tier) {
  if (tier == Tier::kPooled) {
    // Its files hold user keys as they are, without a tenant prefix.
    return Status::InvalidArgument("an import goes to the column_family or the dedicated tier; move it to "
                                   "pooled afterwards", "tier_not_supported");
  }
  TKV_ASSIGN_OR_RETURN(TenantInfo info, Begin(id, plan_in));
  auto build = [&]() -> Result<std::shared_ptr<Tenant>> {
    // A free place: an import stalls nobody either. Its files hold user
    // keys as they are, so it goes to a column family of its own, or a
    // database of its own.
    TKV_ASSIGN_OR_RETURN(Place place, placement_->Take(tier));
    // Claimed on disk before any file goes in: if what follows fails and
    // cannot be undone, the next start takes it back as unowned and empties
    // it, rather than handing it out again with data in it.
    TKV_RETURN_IF_ERROR(placement_->Claim(place));
    if (Status s = placement_->Fill(place, sst_files); !s.ok()) {
      placement_->Return(std::move(place));  // filling is all or nothing: still empty
      return s;
    }
    if (Status s = CommitNewTenantGated(info, data_key, place, usage); !s.ok()) {
      placement_->ReleaseNow(place.name);  // the files are in it: empty it again
      return s;
    }
    return Materialize(info, std::move(place));
  };
  auto tenant = build();
  directory_.Publish(id, tenant.ok() ? *tenant : nullptr);
  return tenant;
}

Result<bool> TenantRegistry::MoveTier(const std::string& id, Tier to) {
  TKV_ASSIGN_OR_RETURN(std::shared_ptr<Tenant> t, Get(id));
  MutexLock lock(transfer_mu_);
  if (transferring_out_.count(id) != 0) {
    return Status::AlreadyExists("tenant '" + id + "' is being transferred to another node", "move_in_progress");
  }
  return mover_->Start(t, to);
}

std::optional<TierMoveInfo> TenantRegistry::TierMoveProgress(const std::string& id) const {
  return mover_->Progress(id);
}

Status TenantRegistry::FlushAll() { return storage_->Flush(); }

}  // namespace tenantkv::engine
