// TenantRegistry: a tenant's data keys (new versions, destruction), its
// export key, and the master-key rotation's rewrap of every tenant's keys.
#include "engine/tenants/tenant_registry.h"

#include <rocksdb/write_batch.h>

#include <algorithm>
#include <set>

#include "crypto/aead.h"
#include "engine/storage/rocks_status.h"

namespace tenantkv::engine {

Result<DataKeyInfo> TenantRegistry::AddDataKey(Tenant& t, rocksdb::WriteBatch* extra) {
  MutexLock key_lock(t.key_mutex());
  TKV_ASSIGN_OR_RETURN(crypto::SecretBytes data_key, crypto::SecretBytes::Random(crypto::kAeadKeyBytes));
  DataKeyInfo added;
  // Under the tenant's record lock (as suspend) so that no older tenant
  // record can be written after this one.
  TKV_RETURN_IF_ERROR(t.ChangeInfo([&](TenantInfo& next) -> Status {
    if (next.state == TenantState::kDeleting) return TenantNotFound(t.id());
    for (auto& k : next.data_keys) {
      added.version = std::max(added.version, k.version);
      if (k.state == "active") k.state = "retiring";
    }
    added.version += 1;
    added.state = "active";
    added.created_at_ms = clock_->NowUnixMillis();
    rocksdb::WriteBatch batch;
    if (extra != nullptr) batch = *extra;
    TKV_ASSIGN_OR_RETURN(added.master_version,
                         key_store_.StageDataKey(t.id(), added.version, added.created_at_ms, data_key, &batch));
    next.data_keys.push_back(added);
    TKV_RETURN_IF_ERROR(directory_.StageRecord(next, &batch));
    return FromRocks(storage_->db()->Write(storage_->meta_write_options(), &batch), "rotate data key");
  }));
  t.keyring().Add(added.version, std::move(data_key), /*make_current=*/true);
  return added;
}

Status TenantRegistry::DestroyDataKey(Tenant& t, uint32_t version) {
  // A node backup copies the dedicated databases before the node's keys:
  // no key it may need goes in between.
  ReaderLock no_backup(placement_->backup_gate());
  MutexLock key_lock(t.key_mutex());
  TKV_RETURN_IF_ERROR(t.ChangeInfo([&](TenantInfo& next) -> Status {
    if (next.state == TenantState::kDeleting) return TenantNotFound(t.id());
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
    TKV_RETURN_IF_ERROR(key_store_.StageDestroyDataKey(t.id(), version, &batch));
    TKV_RETURN_IF_ERROR(directory_.StageRecord(next, &batch));
    return FromRocks(storage_->db()->Write(storage_->meta_write_options(), &batch), "destroy data key");
  }));
  t.keyring().Remove(version);
  return key_store_.PurgeDataKey(t.id(), version);
}

Result<ExportKey> TenantRegistry::GetExportKey(const std::string& id, bool create) {
  if (PendingDelete(id).ok()) {
    // Its keys are being destroyed: the old exports must not import again.
    return Status::NotFound("tenant '" + id + "' has no export key on this node", "export_key_not_found");
  }
  return key_store_.GetExportKey(id, create, [&]() -> std::shared_ptr<Tenant> {
    auto t = Get(id);
    return t.ok() ? *t : nullptr;
  });
}

Status TenantRegistry::WithWrapsPaused(const std::function<Status()>& fn) { return key_store_.WithWrapsPaused(fn); }

Result<size_t> TenantRegistry::DestroyLeftoverKeys(const std::string& id) {
  // Holding the id, so that no create of the same id can interleave.
  if (!directory_.Reserve(id).ok()) {
    return Status::Unavailable("tenant '" + id + "' is being created or deleted", "tenant_busy");
  }
  auto destroy = [&]() -> Result<size_t> {
    TKV_ASSIGN_OR_RETURN(size_t records, key_store_.CountRecords(id));
    if (records == 0) return records;
    rocksdb::WriteBatch batch;
    TKV_RETURN_IF_ERROR(key_store_.StageDestroyAll(id, &batch));
    TKV_RETURN_IF_ERROR(FromRocks(storage_->db()->Write(storage_->meta_write_options(), &batch),
                                  "destroy leftover keys"));
    TKV_RETURN_IF_ERROR(key_store_.PurgeAll(id));
    return records;
  };
  auto records = destroy();
  directory_.Publish(id, nullptr);
  return records;
}

Result<TenantRegistry::RewrapOutcome> TenantRegistry::RewrapTenantKeys(const std::string& id,
                                                                       uint32_t to) {
  RewrapOutcome out;
  auto tenant = Get(id);
  if (!tenant.ok()) {
    // Nobody owns these records: leftovers of a delete that did not finish
    // (it is finished at the next start). Destroy them now.
    TKV_ASSIGN_OR_RETURN(out.leftovers_destroyed, DestroyLeftoverKeys(id));
    return out;
  }
  Tenant& t = **tenant;
  MutexLock key_lock(t.key_mutex());
  if (t.state() == TenantState::kDeleting) return out;  // its delete destroys the keys
  rocksdb::WriteBatch batch;
  std::set<uint32_t> moved;  // data-key versions now under `to`
  TKV_ASSIGN_OR_RETURN(out.keys_rewrapped, key_store_.StageRewrap(id, to, &batch, &moved));
  if (out.keys_rewrapped == 0) return out;
  if (rewrap_hook_for_test_) rewrap_hook_for_test_(id);
  // The tenant record is read and written under the tenant's record lock,
  // as suspend and resume do: a copy read earlier would undo their change.
  TKV_RETURN_IF_ERROR(t.ChangeInfo([&](TenantInfo& next) -> Status {
    for (auto& k : next.data_keys) {
      if (moved.count(k.version) != 0) k.master_version = to;
    }
    TKV_RETURN_IF_ERROR(directory_.StageRecord(next, &batch));
    return FromRocks(storage_->db()->Write(storage_->meta_write_options(), &batch),
                     "rewrap keys of tenant '" + id + "'");
  }));
  return out;
}

Result<TenantRegistry::KeyCensus> TenantRegistry::CensusWrappedKeys(uint32_t version) const {
  return key_store_.Census(version);
}

}  // namespace tenantkv::engine
