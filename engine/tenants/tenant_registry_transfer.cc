// TenantRegistry: a tenant's transfer to or from another node
// (backup/tenant_transfer.h): the guard against a tier move of a tenant
// transferring out, and the hidden tenant of a transfer in, from its
// reservation to its commit or removal.
#include <rocksdb/write_batch.h>

#include <nlohmann/json.hpp>

#include "engine/storage/rocks_status.h"
#include "engine/storage/system_keys.h"
#include "engine/tenants/tenant_id.h"
#include "engine/tenants/tenant_registry.h"

namespace tenantkv::engine {
namespace {

std::string MarkerKey(const std::string& id) { return kTransferInPrefix + id; }

}  // namespace

Status TenantRegistry::MarkTransferOut(const std::string& id) {
  MutexLock lock(transfer_mu_);
  if (transferring_out_.count(id) != 0 || mover_->Progress(id).has_value()) {
    return Status::AlreadyExists("tenant '" + id + "' is already moving", "move_in_progress");
  }
  transferring_out_.insert(id);
  return Status::Ok();
}

void TenantRegistry::UnmarkTransferOut(const std::string& id) {
  MutexLock lock(transfer_mu_);
  transferring_out_.erase(id);
}

Result<Place> TenantRegistry::BeginTransferIn(const std::string& id, Tier tier) {
  if (tier == Tier::kDedicated) {
    return Status::InvalidArgument("a transfer goes to the column_family or the pooled tier; move it to "
                                   "dedicated afterwards", "tier_not_supported");
  }
  TKV_RETURN_IF_ERROR(ValidateTenantId(id));
  TKV_RETURN_IF_ERROR(directory_.Reserve(id));
  auto begin = [&]() -> Result<Place> {
    TKV_ASSIGN_OR_RETURN(Place place, placement_->Take(tier));
    rocksdb::WriteBatch batch;
    placement_->StageClaim(place, &batch);
    Status s = FromRocks(batch.Put(storage_->system(), MarkerKey(id), nlohmann::json{{"place", place.name}}.dump()),
                         "stage transfer marker");
    if (s.ok()) s = FromRocks(storage_->db()->Write(storage_->meta_write_options(), &batch), "begin transfer in");
    if (!s.ok()) {
      placement_->Return(std::move(place));
      return s;
    }
    return place;
  };
  auto place = begin();
  if (!place.ok()) directory_.Publish(id, nullptr);
  return place;
}

Result<std::shared_ptr<Tenant>> TenantRegistry::CommitTransferIn(TenantInfo info, const Place& place,
                                                                 const std::map<uint32_t, crypto::SecretBytes>& keys,
                                                                 const ExportKey* export_key,
                                                                 const TransferInCounts& counts,
                                                                 const rocksdb::WriteBatch& extra) {
  const std::string id = info.id;
  info.placement = place.name;
  info.tier_move = HeapOptional<TierMoveInfo>();
  {
    ReaderLock wraps(key_store_.wrap_mutex());  // no master switch until the keys are persisted
    rocksdb::WriteBatch batch = extra;
    for (auto& k : info.data_keys) {
      if (k.state == "destroyed") continue;
      auto key = keys.find(k.version);
      if (key == keys.end()) {
        return Status::InvalidArgument("data key " + std::to_string(k.version) + " is missing", "bad_transfer");
      }
      TKV_ASSIGN_OR_RETURN(k.master_version, key_store_.StageDataKey(id, k.version, k.created_at_ms, key->second,
                                                                     &batch));
    }
    if (export_key != nullptr) {
      TKV_RETURN_IF_ERROR(key_store_.StageExportKey(id, *export_key, clock_->NowUnixMillis(), &batch));
    }
    TKV_RETURN_IF_ERROR(directory_.StageRecord(info, &batch));
    directory_.StageUsage(id, counts.usage, &batch);
    for (const auto& [version, n] : counts.values) {
      TKV_RETURN_IF_ERROR(FromRocks(batch.Put(storage_->system(), ValuesCountKey(id, version), EncodeUsageDelta(n, 0)),
                                    "stage value count"));
    }
    for (const auto& [version, n] : counts.seals) {
      TKV_RETURN_IF_ERROR(
          FromRocks(batch.Put(storage_->system(), SealsKey(id, version), std::to_string(n)), "stage seal count"));
    }
    if (!counts.reencrypt_cursor.empty()) {
      TKV_RETURN_IF_ERROR(FromRocks(batch.Put(storage_->system(), ReencryptCursorKey(id), counts.reencrypt_cursor),
                                    "stage re-encryption cursor"));
    }
    TKV_RETURN_IF_ERROR(FromRocks(batch.Delete(storage_->system(), MarkerKey(id)), "stage marker removal"));
    TKV_RETURN_IF_ERROR(FromRocks(storage_->db()->Write(storage_->meta_write_options(), &batch), "commit transfer"));
  }
  // Committed: from here the tenant is this node's, as after a restart.
  auto tenant = Materialize(std::move(info), place);
  directory_.Publish(id, tenant.ok() ? *tenant : nullptr);
  return tenant;
}

Status TenantRegistry::AbortTransferIn(const std::string& id, const Place& place) {
  rocksdb::WriteBatch batch;
  bool staged = false;
  Status s = placement_->StageRelease(place.name, &batch, &staged);
  if (s.ok()) s = FromRocks(batch.Delete(storage_->system(), MarkerKey(id)), "stage marker removal");
  if (s.ok()) s = FromRocks(storage_->db()->Write(storage_->meta_write_options(), &batch), "abort transfer in");
  if (s.ok() && staged) placement_->Released(place.name);
  if (s.ok()) placement_->Compact(place.name).IgnoreError();  // best effort: the range delete hides it already
  // Freed even on failure: the marker stays, and the next start removes it.
  directory_.Publish(id, nullptr);
  return s;
}

Status TenantRegistry::CleanTransfersIn() {
  rocksdb::WriteBatch batch;
  std::vector<std::string> released;
  std::unique_ptr<rocksdb::Iterator> it(storage_->db()->NewIterator(ReadOnceOptions(), storage_->system()));
  for (it->Seek(kTransferInPrefix); it->Valid() && it->key().starts_with(kTransferInPrefix); it->Next()) {
    const nlohmann::json j = nlohmann::json::parse(it->value().ToStringView(), nullptr, false);
    if (j.is_object() && j.contains("place") && j["place"].is_string()) {
      const std::string place = j["place"].get<std::string>();
      // A column family nobody owns was taken back by the placement's open.
      if (TierOfPlacement(place) == Tier::kPooled) {
        bool staged = false;
        TKV_RETURN_IF_ERROR(placement_->StageRelease(place, &batch, &staged));
        if (staged) released.push_back(place);
      }
    }
    TKV_RETURN_IF_ERROR(FromRocks(batch.Delete(storage_->system(), it->key()), "stage marker removal"));
  }
  TKV_RETURN_IF_ERROR(FromRocks(it->status(), "read transfer markers"));
  if (batch.Count() == 0) return Status::Ok();
  TKV_RETURN_IF_ERROR(FromRocks(storage_->db()->Write(storage_->meta_write_options(), &batch), "remove transfers in"));
  for (const auto& place : released) placement_->Compact(place).IgnoreError();
  return Status::Ok();
}

}  // namespace tenantkv::engine
