#include "engine/tenant_registry.h"

#include <nlohmann/json.hpp>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <cstdio>

#include "crypto/aead.h"
#include "crypto/hash.h"
#include "crypto/key_wrap.h"
#include "crypto/random.h"
#include "engine/cf_tenant_store.h"
#include "engine/rocks_status.h"
#include "engine/system_keys.h"
#include "engine/tenant_id.h"

namespace tenantkv::engine {
namespace {

using nlohmann::json;

std::string TenantKey(const std::string& id) { return kTenantPrefix + id; }
std::string UsageKey(const std::string& id) { return kUsagePrefix + id; }
std::string DataKeyPrefix(const std::string& id) { return kDataKeyPrefix + id + "/"; }
// The end of the dkey/<id>/ range: '/' + 1.
std::string DataKeyPrefixEnd(const std::string& id) { return kDataKeyPrefix + id + "0"; }
std::string DataKeyKey(const std::string& id, uint32_t version) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%08x", version);
  return DataKeyPrefix(id) + buf;
}
std::string WrapContext(const std::string& id, uint32_t version, uint32_t master_version) {
  return "tenant=" + id + ";dkey=" + std::to_string(version) +
         ";master=" + std::to_string(master_version);
}
std::string ExportKeyKey(const std::string& id) { return DataKeyPrefix(id) + "export"; }
std::string ExportKeyContext(const std::string& id, const std::string& key_id,
                             uint32_t master_version) {
  return "tenant=" + id + ";export-key=" + key_id + ";master=" + std::to_string(master_version);
}
constexpr char kCfPrefix[] = "t.";
constexpr size_t kIncarnationBytes = 16;

TenantState StateFromName(const std::string& s) {
  if (s == "suspended") return TenantState::kSuspended;
  if (s == "deleting") return TenantState::kDeleting;
  return TenantState::kActive;
}

json InfoToJson(const TenantInfo& info) {
  json keys = json::array();
  for (const auto& k : info.data_keys) {
    keys.push_back({{"version", k.version},
                    {"state", k.state},
                    {"created_at_ms", k.created_at_ms},
                    {"master_version", k.master_version}});
  }
  return {{"id", info.id},
          {"plan", info.plan},
          {"state", TenantStateName(info.state)},
          {"created_at_ms", info.created_at_ms},
          {"placement", info.placement},
          {"data_keys", keys},
          {"incarnation", info.incarnation}};
}

Result<TenantInfo> InfoFromJson(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::DataLoss("tenant record is not JSON");
  try {
    TenantInfo info;
    info.id = j.at("id").get<std::string>();
    info.plan = j.at("plan").get<std::string>();
    info.state = StateFromName(j.at("state").get<std::string>());
    info.created_at_ms = j.at("created_at_ms").get<int64_t>();
    info.placement = j.at("placement").get<std::string>();
    for (const auto& k : j.at("data_keys")) {
      info.data_keys.push_back({k.at("version").get<uint32_t>(), k.at("state").get<std::string>(),
                                k.at("created_at_ms").get<int64_t>(),
                                k.at("master_version").get<uint32_t>()});
    }
    // Absent in records written before tenants had incarnations (Load
    // gives such a tenant one).
    if (j.contains("incarnation")) info.incarnation = j.at("incarnation").get<std::string>();
    return info;
  } catch (const json::exception& e) {
    return Status::DataLoss(std::string("tenant record is malformed: ") + e.what());
  }
}

// A wrapped-key record (dkey/<id>/<version> or dkey/<id>/export).
struct KeyRecord {
  bool ok = false;
  uint32_t master_version = 0;
  std::string wrapped;  // raw bytes
  std::string key_id;   // export keys only
  json doc;             // the whole record, to rewrite it
};

KeyRecord ParseKeyRecord(std::string_view raw) {
  KeyRecord r;
  r.doc = json::parse(raw, nullptr, false);
  if (r.doc.is_discarded() || !r.doc.is_object() || !r.doc.contains("wrapped") ||
      !r.doc["wrapped"].is_string() || !r.doc.contains("master_version") ||
      !r.doc["master_version"].is_number_unsigned()) {
    return r;
  }
  auto wrapped = crypto::HexDecode(r.doc["wrapped"].get<std::string>());
  if (!wrapped) return r;
  r.wrapped = std::move(*wrapped);
  r.master_version = r.doc["master_version"].get<uint32_t>();
  if (r.doc.contains("key_id")) {
    if (!r.doc["key_id"].is_string()) return r;
    r.key_id = r.doc["key_id"].get<std::string>();
  }
  r.ok = true;
  return r;
}

// The wrap context of the record stored at `suffix` (what follows
// dkey/<id>/), or "" when the suffix names no key.
std::string ContextOfRecord(const std::string& id, std::string_view suffix, const KeyRecord& r,
                            uint32_t master_version) {
  if (suffix == "export") return ExportKeyContext(id, r.key_id, master_version);
  if (suffix.size() != 8 || suffix.find_first_not_of("0123456789abcdef") != std::string_view::npos) {
    return "";
  }
  const auto version = static_cast<uint32_t>(std::stoul(std::string(suffix), nullptr, 16));
  return WrapContext(id, version, master_version);
}

std::string CfNameOf(const TenantInfo& info) {
  return info.placement.rfind("cf:", 0) == 0 ? info.placement.substr(3) : std::string();
}

}  // namespace

const char* TenantStateName(TenantState s) {
  switch (s) {
    case TenantState::kActive: return "active";
    case TenantState::kSuspended: return "suspended";
    case TenantState::kDeleting: return "deleting";
  }
  return "active";
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
  std::vector<TenantInfo> infos;
  {
    std::unique_ptr<rocksdb::Iterator> it(
        storage_->db()->NewIterator(rocksdb::ReadOptions(), storage_->system()));
    for (it->Seek(kTenantPrefix); it->Valid() && it->key().starts_with(kTenantPrefix); it->Next()) {
      TKV_ASSIGN_OR_RETURN(TenantInfo info, InfoFromJson(it->value().ToStringView()));
      infos.push_back(std::move(info));
    }
    TKV_RETURN_IF_ERROR(FromRocks(it->status(), "load tenants"));
  }
  std::set<std::string> owned_cfs;
  for (const auto& info : infos) {
    if (info.state != TenantState::kDeleting) owned_cfs.insert(CfNameOf(info));
  }
  // The pool adopts every tenant column family no live tenant owns, the
  // ones of interrupted deletes included.
  TKV_ASSIGN_OR_RETURN(pool_, ColumnFamilyPool::Open(storage_, kCfPrefix, owned_cfs, options_.pool));
  for (auto& info : infos) {
    if (info.state == TenantState::kDeleting) {
      // Finish a delete that was interrupted or whose purge failed; if it
      // fails again it stays pending (id taken, retried by a Delete).
      bool recycle = false;
      if (!Shred(info, &recycle).ok()) deleting_[info.id] = PendingPurge{info, /*owns_cf=*/false};
      continue;
    }
    if (info.incarnation.empty()) {
      // A record written before tenants had incarnations (ApiKeyStore::Open
      // then binds its keys to this one).
      TKV_ASSIGN_OR_RETURN(info.incarnation, crypto::RandomHex(kIncarnationBytes));
      TKV_RETURN_IF_ERROR(PersistInfo(info));
    }
    std::string cf_name = CfNameOf(info);
    CfHandle cf = storage_->Find(cf_name);
    if (cf == nullptr) {
      return Status::DataLoss("tenant '" + info.id + "' has no column family " + cf_name);
    }
    std::string id = info.id;
    TKV_ASSIGN_OR_RETURN(auto tenant, Materialize(std::move(info), std::move(cf)));
    tenants_[id] = std::move(tenant);
  }
  return Status::Ok();
}

Result<crypto::SecretBytes> TenantRegistry::UnwrapDataKey(const std::string& id, uint32_t version) const {
  std::string raw;
  TKV_RETURN_IF_ERROR(FromRocks(
      storage_->db()->Get(rocksdb::ReadOptions(), storage_->system(), DataKeyKey(id, version), &raw),
      "read data key of tenant '" + id + "'"));
  const KeyRecord rec = ParseKeyRecord(raw);
  if (!rec.ok) return Status::DataLoss("data key record of tenant '" + id + "' is malformed");
  auto key = keys_->Unwrap(rec.master_version, WrapContext(id, version, rec.master_version), rec.wrapped);
  if (!key.ok()) {
    return Status::DataLoss("data key " + std::to_string(version) + " of tenant '" + id +
                            "' does not unwrap under master key " + std::to_string(rec.master_version) +
                            ": " + key.status().ToString());
  }
  return key;
}

Result<std::shared_ptr<Tenant>> TenantRegistry::Materialize(TenantInfo info, CfHandle cf) {
  auto tenant = std::make_shared<Tenant>(info);
  uint32_t newest = 0;
  for (const auto& k : info.data_keys) {
    if (k.state == "destroyed") continue;
    TKV_ASSIGN_OR_RETURN(crypto::SecretBytes key, UnwrapDataKey(info.id, k.version));
    newest = std::max(newest, k.version);
    tenant->keyring_.Add(k.version, std::move(key), k.version == newest);
  }
  // An evicted key (Keyring::EvictIdle) is read and unwrapped again from
  // its record, under whatever master version it is wrapped by then.
  tenant->keyring_.SetLoader(
      [this, id = info.id](uint32_t version) { return UnwrapDataKey(id, version); });
  Usage usage;
  std::string raw;
  rocksdb::Status s =
      storage_->db()->Get(rocksdb::ReadOptions(), storage_->system(), UsageKey(info.id), &raw);
  if (s.ok() && !DecodeUsage(raw, &usage.keys, &usage.logical_bytes)) {
    return Status::DataLoss("usage record of tenant '" + info.id + "' is malformed");
  }
  if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "read usage");
  TKV_RETURN_IF_ERROR(InitValueCounts(info, usage));
  SealCounterOptions seal_options = options_.seals;
  seal_options.on_bound = nullptr;
  if (options_.on_seal_bound) {
    seal_options.on_bound = [cb = options_.on_seal_bound, id = info.id](uint32_t v) { cb(id, v); };
  }
  tenant->seals_ = std::make_unique<SealCounter>(storage_, info.id, std::move(seal_options));
  TKV_RETURN_IF_ERROR(tenant->seals_->Load());
  CfTenantStoreOptions so;
  so.seals = tenant->seals_.get();
  so.tenant_id = info.id;
  so.cf = std::move(cf);
  so.usage_key = UsageKey(info.id);
  so.initial_usage = usage;
  so.max_value_bytes = options_.max_value_bytes;
  tenant->store_ = std::make_unique<CfTenantStore>(storage_, &tenant->keyring_, clock_, std::move(so));
  return tenant;
}

Status TenantRegistry::InitValueCounts(const TenantInfo& info, const Usage& usage) {
  if (info.data_keys.size() != 1) return Status::Ok();
  const std::string key = ValuesCountKey(info.id, info.data_keys[0].version);
  std::string raw;
  rocksdb::Status s = storage_->db()->Get(rocksdb::ReadOptions(), storage_->system(), key, &raw);
  if (!s.IsNotFound()) return FromRocks(s, "read value count");
  return FromRocks(storage_->db()->Put(storage_->meta_write_options(), storage_->system(), key,
                                       EncodeUsageDelta(usage.keys, 0)),
                   "initialise value count");
}

Result<DataKeyInfo> TenantRegistry::AddDataKey(Tenant& t, rocksdb::WriteBatch* extra) {
  std::lock_guard<std::mutex> key_lock(t.key_mutex());
  const uint32_t master_version = keys_->CurrentVersion();
  TKV_ASSIGN_OR_RETURN(crypto::SecretBytes data_key, crypto::SecretBytes::Random(crypto::kAeadKeyBytes));
  DataKeyInfo added;
  {
    // Under the tenant lock (as suspend) so that no older tenant record can
    // be written after this one.
    std::lock_guard<std::mutex> lock(t.mu_);
    if (t.state_.load() == TenantState::kDeleting) {
      return Status::NotFound("tenant '" + t.id() + "' does not exist", "tenant_not_found");
    }
    TenantInfo next = t.info_;
    next.state = t.state_.load();
    for (auto& k : next.data_keys) {
      added.version = std::max(added.version, k.version);
      if (k.state == "active") k.state = "retiring";
    }
    added.version += 1;
    added.state = "active";
    added.created_at_ms = clock_->NowUnixMillis();
    added.master_version = master_version;
    next.data_keys.push_back(added);
    TKV_ASSIGN_OR_RETURN(std::string wrapped,
                         keys_->Wrap(master_version, WrapContext(t.id(), added.version, master_version), data_key));
    json dkey = {{"master_version", master_version},
                 {"wrapped", crypto::HexEncode(wrapped)},
                 {"created_at_ms", added.created_at_ms}};
    rocksdb::WriteBatch batch;
    if (extra != nullptr) batch = *extra;
    TKV_RETURN_IF_ERROR(FromRocks(batch.Put(storage_->system(), DataKeyKey(t.id(), added.version), dkey.dump()),
                                  "stage data key"));
    TKV_RETURN_IF_ERROR(FromRocks(batch.Put(storage_->system(), TenantKey(t.id()), InfoToJson(next).dump()),
                                  "stage tenant record"));
    TKV_RETURN_IF_ERROR(FromRocks(storage_->db()->Write(storage_->meta_write_options(), &batch), "rotate data key"));
    t.info_ = std::move(next);
  }
  t.keyring_.Add(added.version, std::move(data_key), /*make_current=*/true);
  return added;
}

Status TenantRegistry::DestroyDataKey(Tenant& t, uint32_t version) {
  std::lock_guard<std::mutex> key_lock(t.key_mutex());
  {
    std::lock_guard<std::mutex> lock(t.mu_);
    if (t.state_.load() == TenantState::kDeleting) {
      return Status::NotFound("tenant '" + t.id() + "' does not exist", "tenant_not_found");
    }
    TenantInfo next = t.info_;
    bool found = false;
    for (auto& k : next.data_keys) {
      if (k.version != version) continue;
      if (k.state != "retiring") break;
      k.state = "destroyed";
      found = true;
    }
    if (!found) {
      return Status::FailedPrecondition("data key " + std::to_string(version) + " is not retiring",
                                        "key_not_retiring");
    }
    rocksdb::WriteBatch batch;
    TKV_RETURN_IF_ERROR(FromRocks(batch.Delete(storage_->system(), DataKeyKey(t.id(), version)), "stage destroy"));
    TKV_RETURN_IF_ERROR(FromRocks(batch.Put(storage_->system(), TenantKey(t.id()), InfoToJson(next).dump()),
                                  "stage tenant record"));
    TKV_RETURN_IF_ERROR(FromRocks(storage_->db()->Write(storage_->meta_write_options(), &batch), "destroy data key"));
    t.info_ = std::move(next);
  }
  t.keyring_.Remove(version);
  const std::string key = DataKeyKey(t.id(), version);
  return storage_->PurgeSystemRange(key, key + '\0');
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
  return FromRocks(storage_->db()->Put(storage_->meta_write_options(), storage_->system(),
                                       TenantKey(info.id), InfoToJson(info).dump()),
                   "persist tenant");
}

Result<std::shared_ptr<Tenant>> TenantRegistry::Create(const std::string& id,
                                                       const std::string& plan_in) {
  TKV_ASSIGN_OR_RETURN(TenantInfo info, Begin(id, plan_in));

  auto build = [&]() -> Result<std::shared_ptr<Tenant>> {
    TKV_ASSIGN_OR_RETURN(crypto::SecretBytes data_key, crypto::SecretBytes::Random(crypto::kAeadKeyBytes));
    // A spare column family: no DDL here, so nobody's writes stall.
    TKV_ASSIGN_OR_RETURN(ColumnFamilyPool::Lease lease, pool_->Take());
    info.placement = "cf:" + lease.name;
    std::shared_lock wraps(wrap_mu_);  // no master switch until the key is persisted
    const uint32_t master_version = keys_->CurrentVersion();
    info.data_keys[0].master_version = master_version;
    auto wrapped = keys_->Wrap(master_version, WrapContext(id, 1, master_version), data_key);
    if (!wrapped.ok()) {
      pool_->Return(std::move(lease));
      return wrapped.status();
    }
    rocksdb::WriteBatch batch;
    StageNewTenant(info, master_version, *wrapped, Usage{}, &batch);
    pool_->Stage(lease, &batch);
    Status s = FromRocks(storage_->db()->Write(storage_->meta_write_options(), &batch), "create tenant");
    if (!s.ok()) {
      pool_->Return(std::move(lease));
      return s;
    }
    return Materialize(info, std::move(lease.cf));
  };
  auto tenant = build();
  std::unique_lock lock(mu_);
  busy_ids_.erase(id);
  if (tenant.ok()) tenants_[id] = *tenant;
  return tenant;
}

Result<std::shared_ptr<Tenant>> TenantRegistry::Get(const std::string& id) const {
  std::shared_lock lock(mu_);
  auto it = tenants_.find(id);
  if (it == tenants_.end()) return Status::NotFound("tenant '" + id + "' does not exist", "tenant_not_found");
  return it->second;
}

std::vector<std::shared_ptr<Tenant>> TenantRegistry::List() const {
  std::shared_lock lock(mu_);
  std::vector<std::shared_ptr<Tenant>> out;
  out.reserve(tenants_.size());
  for (const auto& [id, t] : tenants_) out.push_back(t);
  return out;
}

Result<std::shared_ptr<Tenant>> TenantRegistry::SetSuspended(const std::string& id, bool suspended) {
  TKV_ASSIGN_OR_RETURN(std::shared_ptr<Tenant> t, Get(id));
  std::lock_guard<std::mutex> lock(t->mu_);
  // A delete began since the lookup: never overwrite its "deleting".
  if (t->state_.load() == TenantState::kDeleting) {
    return Status::NotFound("tenant '" + id + "' does not exist", "tenant_not_found");
  }
  TenantInfo next = t->info_;
  next.state = suspended ? TenantState::kSuspended : TenantState::kActive;
  TKV_RETURN_IF_ERROR(PersistInfo(next));
  t->info_ = std::move(next);
  t->state_ = t->info_.state;
  return t;
}

Result<TenantRegistry::DeleteOutcome> TenantRegistry::Delete(const std::string& id,
                                                             const std::function<Status()>& on_deleting) {
  DeleteOutcome out;
  std::shared_ptr<Tenant> t;  // null when resuming a pending delete
  PendingPurge purge;
  {
    std::unique_lock lock(mu_);
    const bool running = busy_ids_.count(id) != 0;  // a live tenant is busy only while being deleted
    if (auto d = deleting_.find(id); d != deleting_.end()) {
      out.resumed = true;
      purge = d->second;
    } else if (auto it = tenants_.find(id); it != tenants_.end()) {
      out.resumed = running;
      t = it->second;
    } else {
      return Status::NotFound("tenant '" + id + "' does not exist", "tenant_not_found");
    }
    if (running) return out;  // that delete finishes it, or leaves it pending
    busy_ids_.insert(id);     // the id stays taken until the shredding is done
  }
  Status s;
  if (t != nullptr) {
    // A master-key rotation rewrapping this tenant finishes first, or sees it
    // deleting and leaves it: nothing rewrites its keys after the shredding.
    std::lock_guard<std::mutex> key_lock(t->key_mutex());
    {
      // Persisted before anything else changes: if it fails, nothing has.
      std::lock_guard<std::mutex> lock(t->mu_);
      TenantInfo next = t->info_;
      next.state = TenantState::kDeleting;
      s = PersistInfo(next);
      if (s.ok()) {
        t->info_ = next;
        t->state_ = TenantState::kDeleting;
        purge.info = std::move(next);
      }
    }
    if (s.ok()) {
      std::unique_lock lock(mu_);
      tenants_.erase(id);
      deleting_[id] = purge;
    }
    if (s.ok() && on_deleting) s = on_deleting();
    if (s.ok()) {
      // No write may land after the range delete: close the store first.
      t->store().Close();
      t->keyring_.DestroyAll();
      s = Shred(purge.info, &purge.owns_cf);
    }
  } else {
    if (on_deleting) s = on_deleting();
    if (s.ok()) s = Shred(purge.info, &purge.owns_cf);
  }
  std::unique_lock lock(mu_);
  busy_ids_.erase(id);
  if (auto d = deleting_.find(id); d != deleting_.end()) {
    if (s.ok()) {
      deleting_.erase(d);
    } else {
      d->second.owns_cf = purge.owns_cf;
    }
  }
  if (!s.ok()) return s;
  out.purged = true;
  return out;
}

Result<TenantInfo> TenantRegistry::PendingDelete(const std::string& id) const {
  std::shared_lock lock(mu_);
  auto it = deleting_.find(id);
  if (it == deleting_.end()) return Status::NotFound("tenant '" + id + "' does not exist", "tenant_not_found");
  return it->second.info;
}

std::vector<TenantInfo> TenantRegistry::PendingDeletes() const {
  std::shared_lock lock(mu_);
  std::vector<TenantInfo> out;
  for (const auto& [id, p] : deleting_) out.push_back(p.info);
  return out;
}

// Destroys the data keys and, in the same batch, empties the tenant's column
// family (handing it to the pool), then purges the destroyed key records
// from the DB's files and removes the tenant's records. Idempotent: safe to
// re-run after a crash.
Status TenantRegistry::Shred(const TenantInfo& info, bool* recycle_cf) {
  const std::string prefix = DataKeyPrefix(info.id);
  const std::string prefix_end = DataKeyPrefixEnd(info.id);
  const std::string cf_name = CfNameOf(info);
  TKV_RETURN_IF_ERROR(FaultForTestAt(FaultForTest::kShredKeys));
  rocksdb::WriteBatch keys;
  TKV_RETURN_IF_ERROR(FromRocks(keys.DeleteRange(storage_->system(), prefix, prefix_end), "stage key destroy"));
  const bool recycle = *recycle_cf && storage_->Find(cf_name) != nullptr;
  if (recycle) TKV_RETURN_IF_ERROR(pool_->StageRecycle(cf_name, &keys));
  TKV_RETURN_IF_ERROR(FromRocks(storage_->db()->Write(storage_->meta_write_options(), &keys), "destroy data keys"));
  *recycle_cf = false;
  if (recycle) pool_->Recycling(cf_name);
  TKV_RETURN_IF_ERROR(FaultForTestAt(FaultForTest::kShredPurge));
  // A WAL file lives until every column family with data in it is flushed,
  // so the purge flushes all of them: no log may keep the wrapped key.
  TKV_RETURN_IF_ERROR(storage_->PurgeSystemRange(prefix, prefix_end));
  rocksdb::WriteBatch records;
  records.Delete(storage_->system(), UsageKey(info.id)).PermitUncheckedError();
  const std::string stats = KeyStatsPrefix(info.id);
  records.DeleteRange(storage_->system(), stats, stats.substr(0, stats.size() - 1) + "0").PermitUncheckedError();
  records.Delete(storage_->system(), TenantKey(info.id)).PermitUncheckedError();
  return FromRocks(storage_->db()->Write(storage_->meta_write_options(), &records), "remove tenant records");
}

Status TenantRegistry::CheckPlan(const std::string& plan) const {
  const bool plan_ok = options_.plan_exists
                           ? options_.plan_exists(plan)
                           : std::find(options_.plans.begin(), options_.plans.end(), plan) != options_.plans.end();
  if (!plan_ok) return Status::InvalidArgument("unknown plan '" + plan + "'", "unknown_plan");
  return Status::Ok();
}

void TenantRegistry::StageNewTenant(const TenantInfo& info, uint32_t master_version,
                                    const std::string& wrapped, const Usage& usage,
                                    rocksdb::WriteBatch* batch) const {
  json dkey = {{"master_version", master_version},
               {"wrapped", crypto::HexEncode(wrapped)},
               {"created_at_ms", info.created_at_ms}};
  batch->Put(storage_->system(), DataKeyKey(info.id, 1), dkey.dump()).PermitUncheckedError();
  batch->Put(storage_->system(), TenantKey(info.id), InfoToJson(info).dump()).PermitUncheckedError();
  batch->Put(storage_->system(), UsageKey(info.id), EncodeUsageDelta(usage.keys, usage.logical_bytes))
      .PermitUncheckedError();
  // Every value starts on version 1; an import sealed each of them once.
  batch->Put(storage_->system(), ValuesCountKey(info.id, 1), EncodeUsageDelta(usage.keys, 0)).PermitUncheckedError();
  if (usage.keys > 0) {
    batch->Put(storage_->system(), SealsKey(info.id, 1), std::to_string(usage.keys)).PermitUncheckedError();
  }
}

Result<TenantInfo> TenantRegistry::Begin(const std::string& id, const std::string& plan_in) {
  TKV_RETURN_IF_ERROR(ValidateTenantId(id));
  const std::string plan = plan_in.empty() ? options_.default_plan : plan_in;
  TKV_RETURN_IF_ERROR(CheckPlan(plan));
  TenantInfo info;
  TKV_ASSIGN_OR_RETURN(info.incarnation, crypto::RandomHex(kIncarnationBytes));
  TKV_RETURN_IF_ERROR(Reserve(id));
  info.id = id;
  info.plan = plan;
  info.created_at_ms = clock_->NowUnixMillis();
  info.data_keys.push_back({1, "active", info.created_at_ms, 0});  // master version set when wrapped
  return info;
}

Status TenantRegistry::Reserve(const std::string& id) {
  std::unique_lock lock(mu_);
  if (tenants_.count(id) != 0 || busy_ids_.count(id) != 0 || deleting_.count(id) != 0) {
    return Status::AlreadyExists("tenant '" + id + "' already exists", "tenant_exists");
  }
  busy_ids_.insert(id);
  return Status::Ok();
}

Result<ExportKey> TenantRegistry::GetExportKey(const std::string& id, bool create) {
  if (PendingDelete(id).ok()) {
    // Its keys are being destroyed: the old exports must not import again.
    return Status::NotFound("tenant '" + id + "' has no export key on this node", "export_key_not_found");
  }
  std::lock_guard<std::mutex> lock(export_key_mu_);
  std::string raw;
  rocksdb::Status rs =
      storage_->db()->Get(rocksdb::ReadOptions(), storage_->system(), ExportKeyKey(id), &raw);
  if (rs.ok()) {
    const KeyRecord rec = ParseKeyRecord(raw);
    if (!rec.ok || rec.key_id.empty()) {
      return Status::DataLoss("export key record of tenant '" + id + "' is malformed");
    }
    ExportKey out;
    out.key_id = rec.key_id;
    const uint32_t master_version = rec.master_version;
    auto key = keys_->Unwrap(master_version, ExportKeyContext(id, out.key_id, master_version), rec.wrapped);
    if (!key.ok()) {
      return Status::DataLoss("export key of tenant '" + id + "' does not unwrap under master key " +
                              std::to_string(master_version));
    }
    out.key = std::move(key).value();
    return out;
  }
  if (!rs.IsNotFound()) return FromRocks(rs, "read export key");
  auto tenant = Get(id);
  if (!create || !tenant.ok()) {
    return Status::NotFound("tenant '" + id + "' has no export key on this node", "export_key_not_found");
  }
  ExportKey out;
  TKV_ASSIGN_OR_RETURN(out.key_id, crypto::RandomHex(8));
  TKV_ASSIGN_OR_RETURN(out.key, crypto::SecretBytes::Random(crypto::kAeadKeyBytes));
  // No master-key rotation rewraps this tenant between choosing the
  // version and persisting the record.
  std::lock_guard<std::mutex> key_lock((*tenant)->key_mutex());
  const uint32_t master_version = keys_->CurrentVersion();
  TKV_ASSIGN_OR_RETURN(std::string wrapped,
                       keys_->Wrap(master_version, ExportKeyContext(id, out.key_id, master_version), out.key));
  json record = {{"key_id", out.key_id},
                 {"master_version", master_version},
                 {"wrapped", crypto::HexEncode(wrapped)},
                 {"created_at_ms", clock_->NowUnixMillis()}};
  TKV_RETURN_IF_ERROR(FromRocks(storage_->db()->Put(storage_->meta_write_options(), storage_->system(),
                                                    ExportKeyKey(id), record.dump()),
                                "persist export key"));
  // A delete that raced with this creation may have shredded before the
  // record landed: never leave a key behind for a tenant that is gone.
  if (!Get(id).ok()) {
    rocksdb::WriteBatch undo;
    TKV_RETURN_IF_ERROR(FromRocks(undo.Delete(storage_->system(), ExportKeyKey(id)), "stage"));
    TKV_RETURN_IF_ERROR(FromRocks(storage_->db()->Write(storage_->meta_write_options(), &undo),
                                  "remove export key"));
    TKV_RETURN_IF_ERROR(storage_->PurgeSystemRange(ExportKeyKey(id), ExportKeyKey(id) + '\0'));
    return Status::NotFound("tenant '" + id + "' does not exist", "tenant_not_found");
  }
  return out;
}

Result<std::shared_ptr<Tenant>> TenantRegistry::CreateImported(const std::string& id,
                                                               const std::string& plan_in,
                                                               crypto::SecretBytes data_key,
                                                               const std::vector<std::string>& sst_files,
                                                               const Usage& usage) {
  TKV_ASSIGN_OR_RETURN(TenantInfo info, Begin(id, plan_in));
  auto build = [&]() -> Result<std::shared_ptr<Tenant>> {
    // A spare column family from the pool: an import stalls nobody either.
    TKV_ASSIGN_OR_RETURN(ColumnFamilyPool::Lease lease, pool_->Take());
    info.placement = "cf:" + lease.name;
    // Out of the pool on disk before any file goes in: if what follows fails
    // and cannot be undone, the next start adopts it as unowned and empties
    // it, rather than handing it out as a spare with data in it.
    {
      rocksdb::WriteBatch taken;
      pool_->Stage(lease, &taken);
      if (Status s = FromRocks(storage_->db()->Write(storage_->meta_write_options(), &taken), "take spare");
          !s.ok()) {
        pool_->Return(std::move(lease));
        return s;
      }
    }
    if (Status s = storage_->IngestFiles(lease.cf, sst_files); !s.ok()) {
      pool_->Return(std::move(lease));  // ingestion is all or nothing: still empty
      return s;
    }
    std::shared_lock wraps(wrap_mu_);  // no master switch until the key is persisted
    const uint32_t master_version = keys_->CurrentVersion();
    info.data_keys[0].master_version = master_version;
    auto wrapped = keys_->Wrap(master_version, WrapContext(id, 1, master_version), data_key);
    Status s = wrapped.status();
    if (s.ok()) {
      rocksdb::WriteBatch batch;
      StageNewTenant(info, master_version, *wrapped, usage, &batch);
      pool_->Stage(lease, &batch);
      s = FromRocks(storage_->db()->Write(storage_->meta_write_options(), &batch), "import tenant");
    }
    if (!s.ok()) {
      // The files are in it: empty it again (or the next start adopts it).
      rocksdb::WriteBatch recycle;
      if (pool_->StageRecycle(lease.name, &recycle).ok() &&
          storage_->db()->Write(storage_->meta_write_options(), &recycle).ok()) {
        pool_->Recycling(lease.name);
      }
      return s;
    }
    CfHandle cf = std::move(lease.cf);
    return Materialize(info, std::move(cf));
  };
  auto tenant = build();
  std::unique_lock lock(mu_);
  busy_ids_.erase(id);
  if (tenant.ok()) tenants_[id] = *tenant;
  return tenant;
}

Status TenantRegistry::WithWrapsPaused(const std::function<Status()>& fn) {
  std::unique_lock wraps(wrap_mu_);
  return fn();
}

Result<TenantRegistry::RewrapOutcome> TenantRegistry::RewrapTenantKeys(const std::string& id,
                                                                       uint32_t to) {
  const std::string prefix = DataKeyPrefix(id);
  const std::string prefix_end = DataKeyPrefixEnd(id);
  RewrapOutcome out;
  auto tenant = Get(id);
  if (!tenant.ok()) {
    // Nobody owns these records: leftovers of a delete that did not finish
    // (it is finished at the next start). Destroy them now, holding the id
    // so that no create of the same id can interleave.
    if (!Reserve(id).ok()) {
      return Status::Unavailable("tenant '" + id + "' is being created or deleted", "tenant_busy");
    }
    size_t records = 0;
    Status s = Status::Ok();
    {
      std::unique_ptr<rocksdb::Iterator> it(
          storage_->db()->NewIterator(rocksdb::ReadOptions(), storage_->system()));
      for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) ++records;
      s = FromRocks(it->status(), "scan leftover keys");
    }
    if (s.ok() && records > 0) {
      rocksdb::WriteBatch batch;
      s = FromRocks(batch.DeleteRange(storage_->system(), prefix, prefix_end), "stage key destroy");
      if (s.ok()) s = FromRocks(storage_->db()->Write(storage_->meta_write_options(), &batch), "destroy leftover keys");
      if (s.ok()) s = storage_->PurgeSystemRange(prefix, prefix_end);
    }
    std::unique_lock lock(mu_);
    busy_ids_.erase(id);
    if (!s.ok()) return s;
    out.leftovers_destroyed = records;
    return out;
  }
  Tenant& t = **tenant;
  std::lock_guard<std::mutex> key_lock(t.key_mutex());
  if (t.state() == TenantState::kDeleting) return out;  // its delete destroys the keys
  rocksdb::WriteBatch batch;
  std::map<uint32_t, uint32_t> moved;  // data-key version -> new master version
  {
    std::unique_ptr<rocksdb::Iterator> it(
        storage_->db()->NewIterator(rocksdb::ReadOptions(), storage_->system()));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      const std::string key = it->key().ToString();
      const std::string suffix = key.substr(prefix.size());
      KeyRecord rec = ParseKeyRecord(it->value().ToStringView());
      const std::string from_ctx = ContextOfRecord(id, suffix, rec, rec.master_version);
      if (!rec.ok || from_ctx.empty()) {
        return Status::DataLoss("key record " + key + " is malformed");
      }
      if (rec.master_version == to) continue;
      auto plain = keys_->Unwrap(rec.master_version, from_ctx, rec.wrapped);
      if (!plain.ok()) {
        return Status::DataLoss("key record " + key + " does not unwrap under master key " +
                                std::to_string(rec.master_version) + ": " + plain.status().ToString());
      }
      TKV_ASSIGN_OR_RETURN(std::string wrapped,
                           keys_->Wrap(to, ContextOfRecord(id, suffix, rec, to), *plain));
      rec.doc["master_version"] = to;
      rec.doc["wrapped"] = crypto::HexEncode(wrapped);
      TKV_RETURN_IF_ERROR(FromRocks(batch.Put(storage_->system(), key, rec.doc.dump()), "stage rewrap"));
      if (suffix != "export") moved[static_cast<uint32_t>(std::stoul(suffix, nullptr, 16))] = to;
      ++out.keys_rewrapped;
    }
    TKV_RETURN_IF_ERROR(FromRocks(it->status(), "scan keys of tenant '" + id + "'"));
  }
  if (out.keys_rewrapped == 0) return out;
  if (rewrap_hook_for_test_) rewrap_hook_for_test_(id);
  // The tenant record is read and written under the tenant lock, as
  // suspend and resume do: a copy read earlier would undo their change.
  std::lock_guard<std::mutex> lock(t.mu_);
  TenantInfo next = t.info_;
  next.state = t.state_.load();
  for (auto& k : next.data_keys) {
    if (moved.count(k.version) != 0) k.master_version = to;
  }
  TKV_RETURN_IF_ERROR(FromRocks(batch.Put(storage_->system(), TenantKey(id), InfoToJson(next).dump()),
                                "stage tenant record"));
  TKV_RETURN_IF_ERROR(FromRocks(storage_->db()->Write(storage_->meta_write_options(), &batch),
                                "rewrap keys of tenant '" + id + "'"));
  t.info_ = std::move(next);
  return out;
}

Result<TenantRegistry::KeyCensus> TenantRegistry::CensusWrappedKeys(uint32_t version) const {
  KeyCensus census;
  std::unique_ptr<rocksdb::Iterator> it(
      storage_->db()->NewIterator(rocksdb::ReadOptions(), storage_->system()));
  for (it->Seek(kDataKeyPrefix); it->Valid() && it->key().starts_with(kDataKeyPrefix); it->Next()) {
    const std::string_view key = it->key().ToStringView();
    const size_t slash = key.find('/', 5);
    if (slash == std::string_view::npos) return Status::DataLoss("key record name is malformed");
    const KeyRecord rec = ParseKeyRecord(it->value().ToStringView());
    if (!rec.ok) return Status::DataLoss("key record " + std::string(key) + " is malformed");
    ++census.keys_per_master[rec.master_version];
    if (rec.master_version != version) census.tenants_not_under.insert(std::string(key.substr(5, slash - 5)));
  }
  TKV_RETURN_IF_ERROR(FromRocks(it->status(), "scan key records"));
  return census;
}

Status TenantRegistry::FlushAll() { return storage_->Flush(); }

}  // namespace tenantkv::engine
