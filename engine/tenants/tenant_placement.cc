#include "engine/tenants/tenant_placement.h"

#include "engine/storage/rocks_status.h"

namespace tenantkv::engine {
namespace {

constexpr char kCfPrefix[] = "t.";
constexpr char kCfPlace[] = "cf:";

// The column family a place name names, or "" for another kind of place.
std::string CfNameOf(const std::string& place) {
  return place.rfind(kCfPlace, 0) == 0 ? place.substr(3) : std::string();
}

ColumnFamilyPool::Lease LeaseOf(Place place) {
  return ColumnFamilyPool::Lease{CfNameOf(place.name), std::move(place.cf)};
}

}  // namespace

Result<std::unique_ptr<TenantPlacement>> TenantPlacement::Open(Storage* storage,
                                                               const std::vector<TenantInfo>& records,
                                                               CfPoolOptions options) {
  std::set<std::string> owned_cfs;
  for (const auto& info : records) {
    if (info.state != TenantState::kDeleting) owned_cfs.insert(CfNameOf(info.placement));
  }
  std::unique_ptr<TenantPlacement> p(new TenantPlacement(storage));
  TKV_ASSIGN_OR_RETURN(p->pool_, ColumnFamilyPool::Open(storage, kCfPrefix, owned_cfs, options));
  return p;
}

Result<Place> TenantPlacement::Find(const TenantInfo& info) const {
  const std::string cf_name = CfNameOf(info.placement);
  CfHandle cf = storage_->Find(cf_name);
  if (cf == nullptr) return Status::DataLoss("tenant '" + info.id + "' has no column family " + cf_name);
  return Place{info.placement, std::move(cf)};
}

Result<Place> TenantPlacement::Take() {
  TKV_ASSIGN_OR_RETURN(ColumnFamilyPool::Lease lease, pool_->Take());
  return Place{kCfPlace + lease.name, std::move(lease.cf)};
}

void TenantPlacement::StageClaim(const Place& place, rocksdb::WriteBatch* batch) const {
  pool_->Stage(ColumnFamilyPool::Lease{CfNameOf(place.name), place.cf}, batch);
}

void TenantPlacement::Return(Place place) { pool_->Return(LeaseOf(std::move(place))); }

Status TenantPlacement::Claim(Place& place) {
  rocksdb::WriteBatch taken;
  StageClaim(place, &taken);
  Status s = FromRocks(storage_->db()->Write(storage_->meta_write_options(), &taken), "take spare");
  if (!s.ok()) Return(std::move(place));
  return s;
}

Status TenantPlacement::Fill(const Place& place, const std::vector<std::string>& sst_files) {
  return storage_->IngestFiles(place.cf, sst_files);
}

Status TenantPlacement::StageRelease(const std::string& name, rocksdb::WriteBatch* batch, bool* staged) const {
  const std::string cf_name = CfNameOf(name);
  *staged = storage_->Find(cf_name) != nullptr;
  if (!*staged) return Status::Ok();
  return pool_->StageRecycle(cf_name, batch);
}

void TenantPlacement::Released(const std::string& name) { pool_->Recycling(CfNameOf(name)); }

void TenantPlacement::ReleaseNow(const std::string& name) {
  rocksdb::WriteBatch recycle;
  if (pool_->StageRecycle(CfNameOf(name), &recycle).ok() &&
      storage_->db()->Write(storage_->meta_write_options(), &recycle).ok()) {
    Released(name);
  }
}

}  // namespace tenantkv::engine
