// The engine's side of a tenant transferred in (backup/tenant_transfer.h):
// once committed, its quota is enforced and its storage grace period
// restored, as a start does for every tenant.
#include <nlohmann/json.hpp>
#include <vector>

#include "engine/engine.h"
#include "engine/storage/rocks_status.h"
#include "engine/storage/system_keys.h"

namespace tenantkv::engine {

Result<std::shared_ptr<Tenant>> Engine::CommitTransferIn(const std::string& tenant, const std::string& records,
                                                         const crypto::SecretBytes& transfer_key,
                                                         const TransferCounters& counters) {
  std::vector<std::string> quota_requests;
  TKV_ASSIGN_OR_RETURN(std::shared_ptr<Tenant> t,
                       transfer_sink_->Commit(tenant, records, transfer_key, counters, &quota_requests));
  // Its quota change requests, under ids of this node's (after the commit:
  // a failure here fails the move, whose caller then deletes the copy).
  TKV_RETURN_IF_ERROR(quota_requests_->Adopt(t->id(), quota_requests).status());
  TKV_ASSIGN_OR_RETURN(QuotaManifest m, quotas_->Current(t->id()));
  Enforce(*t, m.quota);
  std::string raw;
  rocksdb::Status s = storage_->db()->Get(rocksdb::ReadOptions(), storage_->system(), kGracePrefix + t->id(), &raw);
  if (s.IsNotFound()) return t;
  TKV_RETURN_IF_ERROR(FromRocks(s, "read storage grace period"));
  const nlohmann::json j = nlohmann::json::parse(raw, nullptr, false);
  if (!j.is_object() || !j.contains("started_ms") || !j["started_ms"].is_number_integer() || !j.contains("expired") ||
      !j["expired"].is_boolean()) {
    return Status::DataLoss("storage grace record of '" + t->id() + "' is malformed");
  }
  t->store().RestoreGrace(j["started_ms"].get<int64_t>(), j["expired"].get<bool>());
  if (!j["expired"].get<bool>()) {
    MutexLock lock(grace_mu_);
    in_grace_.insert(t->id());
  }
  return t;
}

std::unique_ptr<rocksdb::Iterator> Engine::RawSystemIteratorForTest() const {
  rocksdb::ReadOptions ro;
  ro.total_order_seek = true;
  return std::unique_ptr<rocksdb::Iterator>(storage_->db()->NewIterator(ro, storage_->system()));
}

}  // namespace tenantkv::engine
