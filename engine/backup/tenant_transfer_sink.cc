// TenantTransferSink (tenant_transfer.h): the target's side of a transfer,
// and the counters' wire form.
#include <nlohmann/json.hpp>

#include "engine/backup/tenant_transfer.h"
#include "engine/backup/transfer_records.h"
#include "engine/storage/rocks_status.h"
#include "engine/storage/system_keys.h"

namespace tenantkv::engine {
namespace {

using nlohmann::json;

constexpr size_t kBatchEntries = 512;
constexpr size_t kBatchBytes = 4 << 20;

Status NotStaged(const std::string& tenant) {
  return Status::NotFound("no transfer of tenant '" + tenant + "' is staged here", "transfer_not_found");
}

// A page's items into `place`, each key under its prefix: put, or deleted
// when `deleted(item)`; handed to `write` every kBatchEntries entries or
// kBatchBytes bytes, and at the end.
template <typename Items, typename Deleted, typename WriteBatchFn>
Status StagePage(const Place& place, const Items& items, Deleted deleted, WriteBatchFn write) {
  rocksdb::WriteBatch batch;
  size_t bytes = 0;
  std::string key;
  for (const auto& item : items) {
    key.assign(place.key_prefix).append(item.key);
    if (deleted(item)) {
      TKV_RETURN_IF_ERROR(FromRocks(batch.Delete(place.cf.get(), key), "stage delete"));
    } else {
      TKV_RETURN_IF_ERROR(FromRocks(batch.Put(place.cf.get(), key, item.sealed), "stage entry"));
    }
    bytes += key.size() + item.sealed.size();
    if (static_cast<size_t>(batch.Count()) >= kBatchEntries || bytes >= kBatchBytes) {
      TKV_RETURN_IF_ERROR(write(&batch));
      bytes = 0;
    }
  }
  return write(&batch);
}

}  // namespace

std::string TransferCounters::ToJson() const {
  json v = json::object(), s = json::object();
  for (const auto& [version, n] : values) v[std::to_string(version)] = n;
  for (const auto& [version, n] : seals) s[std::to_string(version)] = n;
  return json{{"keys", usage.keys},
              {"logical_bytes", usage.logical_bytes},
              {"values", v},
              {"seals", s},
              {"reencrypt_cursor", reencrypt_cursor}}
      .dump();
}

Result<TransferCounters> TransferCounters::FromJson(std::string_view text) {
  const json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return Status::InvalidArgument("transfer counters are not JSON", "bad_transfer");
  TransferCounters c;
  try {
    c.usage.keys = j.at("keys").get<int64_t>();
    c.usage.logical_bytes = j.at("logical_bytes").get<int64_t>();
    for (const auto& [k, v] : j.at("values").items()) c.values[static_cast<uint32_t>(std::stoul(k))] = v.get<int64_t>();
    for (const auto& [k, v] : j.at("seals").items()) c.seals[static_cast<uint32_t>(std::stoul(k))] = v.get<uint64_t>();
    c.reencrypt_cursor = j.at("reencrypt_cursor").get<std::string>();
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("transfer counters are malformed: ") + e.what(), "bad_transfer");
  }
  if (c.usage.keys < 0 || c.usage.logical_bytes < 0) {
    return Status::InvalidArgument("transfer counters are negative", "bad_transfer");
  }
  return c;
}

struct TenantTransferSink::Staged {
  std::string tenant;
  std::string incarnation;
  Place place;
  Mutex mu;  // one apply at a time
  bool done GUARDED_BY(mu) = false;  // committed or aborted
};

Result<std::shared_ptr<TenantTransferSink::Staged>> TenantTransferSink::Find(const std::string& tenant) {
  MutexLock lock(mu_);
  auto it = staged_.find(tenant);
  if (it == staged_.end()) return NotStaged(tenant);
  return it->second;
}

Result<std::string> TenantTransferSink::Stage(const std::string& records, const crypto::SecretBytes& transfer_key,
                                              Tier tier) {
  TKV_ASSIGN_OR_RETURN(TransferRecords r, ParseTransferRecords(records, transfer_key));
  const std::string id = r.info.id;
  // Nothing of it may collide with what this node holds.
  for (const auto& [key, value] : r.records) {
    if (key.rfind(kApiKeyPrefix, 0) == 0 && stores_.api_keys->Holds(key.substr(sizeof(kApiKeyPrefix) - 1))) {
      return Status::AlreadyExists("an API key of the tenant exists here already", "transfer_conflict");
    }
  }
  for (const auto& [e, secret] : r.webhooks) {
    if (stores_.webhooks->Get(e.id).ok()) {
      return Status::AlreadyExists("a webhook of the tenant exists here already", "transfer_conflict");
    }
  }
  if (!stores_.quotas->GetPlan(r.info.plan).ok()) {
    return Status::InvalidArgument("plan '" + r.info.plan + "' does not exist here", "unknown_plan");
  }
  auto s = std::make_shared<Staged>();
  s->tenant = id;
  s->incarnation = r.info.incarnation;
  TKV_ASSIGN_OR_RETURN(s->place, stores_.registry->BeginTransferIn(id, tier));
  MutexLock lock(mu_);
  staged_[id] = s;
  return id;
}

Status TenantTransferSink::Write(Staged& s, rocksdb::WriteBatch* batch) {
  if (batch->Count() == 0) return Status::Ok();
  // Not synced: the commit's synced batch makes the log durable up to it,
  // and a crash before it removes the place anyway.
  Storage& db = *s.place.DbOr(stores_.storage);
  Status st = FromRocks(db.db()->Write(rocksdb::WriteOptions(), batch), "apply transfer");
  batch->Clear();
  return st;
}

Status TenantTransferSink::ApplyEntries(const std::string& tenant, const EntryPage& page) {
  TKV_ASSIGN_OR_RETURN(auto s, Find(tenant));
  MutexLock lock(s->mu);
  if (s->done) return NotStaged(tenant);
  return StagePage(
      s->place, page.entries, [](const auto&) { return false; },
      [this, &s](rocksdb::WriteBatch* batch) { return Write(*s, batch); });
}

Status TenantTransferSink::ApplyDelta(const std::string& tenant, const DeltaPage& page) {
  TKV_ASSIGN_OR_RETURN(auto s, Find(tenant));
  MutexLock lock(s->mu);
  if (s->done) return NotStaged(tenant);
  if (page.overflowed) {
    return Status::FailedPrecondition("an overflowed delta holds nothing: rescan", "delta_overflowed");
  }
  return StagePage(
      s->place, page.items, [](const DeltaItem& d) { return d.deleted; },
      [this, &s](rocksdb::WriteBatch* batch) { return Write(*s, batch); });
}

Status TenantTransferSink::ClearEntries(const std::string& tenant) {
  TKV_ASSIGN_OR_RETURN(auto s, Find(tenant));
  MutexLock lock(s->mu);
  if (s->done) return NotStaged(tenant);
  rocksdb::WriteBatch batch;
  const std::string& prefix = s->place.key_prefix;
  if (prefix.empty()) {
    // A column family of its own: every key (user keys are 1..1024 bytes).
    TKV_RETURN_IF_ERROR(FromRocks(batch.DeleteRange(s->place.cf.get(), std::string(1, '\0'),
                                                    std::string(kMaxKeyBytes + 1, '\xff')),
                                  "stage clear"));
  } else {
    TKV_RETURN_IF_ERROR(
        FromRocks(batch.DeleteRange(s->place.cf.get(), prefix, KeyPrefixSuccessor(prefix)), "stage clear"));
  }
  return Write(*s, &batch);
}

Result<std::shared_ptr<Tenant>> TenantTransferSink::Commit(const std::string& tenant, const std::string& records,
                                                           const crypto::SecretBytes& transfer_key,
                                                           const TransferCounters& counters,
                                                           std::vector<std::string>* quota_requests) {
  TKV_ASSIGN_OR_RETURN(auto s, Find(tenant));
  TKV_ASSIGN_OR_RETURN(TransferRecords r, ParseTransferRecords(records, transfer_key));
  if (r.info.id != s->tenant || r.info.incarnation != s->incarnation) {
    return Status::InvalidArgument("the records are of another tenant or incarnation", "bad_transfer");
  }
  if (!r.frozen) {
    return Status::FailedPrecondition("the final records must be taken while the source is frozen",
                                      "records_not_frozen");
  }
  MutexLock lock(s->mu);
  if (s->done) return NotStaged(tenant);
  rocksdb::WriteBatch extra;
  for (const auto& [key, value] : r.records) {
    TKV_RETURN_IF_ERROR(FromRocks(extra.Put(stores_.storage->system(), key, value), "stage record"));
  }
  for (const auto& [e, secret] : r.webhooks) TKV_RETURN_IF_ERROR(stores_.webhooks->StageAdopted(e, secret, &extra));
  TenantRegistry::TransferInCounts counts;
  counts.usage = counters.usage;
  counts.values = counters.values;
  counts.seals = counters.seals;
  counts.reencrypt_cursor = counters.reencrypt_cursor;
  TKV_ASSIGN_OR_RETURN(std::shared_ptr<Tenant> t,
                       stores_.registry->CommitTransferIn(r.info, s->place, r.keys,
                                                          r.export_key ? &*r.export_key : nullptr, counts, extra));
  s->done = true;
  {
    MutexLock staged(mu_);
    staged_.erase(tenant);
  }
  // Committed: what follows only brings the records into memory (a start
  // would read them the same way).
  TKV_RETURN_IF_ERROR(stores_.quotas->LoadTenant(t->id()));
  TKV_RETURN_IF_ERROR(stores_.addons->LoadTenant(t->id()));
  TKV_RETURN_IF_ERROR(stores_.webhooks->LoadTenant(t->id()));
  TKV_RETURN_IF_ERROR(stores_.api_keys->AdoptTenant(*t));
  if (quota_requests != nullptr) *quota_requests = std::move(r.quota_requests);
  return t;
}

Status TenantTransferSink::Abort(const std::string& tenant) {
  TKV_ASSIGN_OR_RETURN(auto s, Find(tenant));
  MutexLock lock(s->mu);
  if (s->done) return NotStaged(tenant);
  s->done = true;
  {
    MutexLock staged(mu_);
    staged_.erase(tenant);
  }
  return stores_.registry->AbortTransferIn(s->tenant, s->place);
}

}  // namespace tenantkv::engine
