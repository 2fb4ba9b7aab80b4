// CfTenantStore's re-encryption (TenantStore::Reencrypt): values sealed
// under a retiring data-key version are sealed again under the current one,
// a bounded page at a time, each page one atomic batch under the write
// stripes of its keys.
#include <rocksdb/write_batch.h>

#include <set>
#include <string>
#include <vector>

#include "engine/kv/cf_tenant_store.h"
#include "engine/kv/cf_tenant_store_parts.h"
#include "engine/storage/rocks_status.h"
#include "engine/storage/system_keys.h"

namespace tenantkv::engine {

void CfTenantStore::WriteBarrier() {
  // Every write seals and commits while holding its key's stripe.
  for (size_t i = 0; i < stripe_count_; ++i) MutexLock lock(stripes_[i]);
}

Result<ReencryptResult> CfTenantStore::Reencrypt(std::string_view start_after, size_t max_keys) {
  ScopedOp op(*this);
  TKV_RETURN_IF_ERROR(op.status());
  auto [target, key] = keyring_->Current();
  if (key == nullptr) return Status::Unavailable("tenant has no active data key", "key_unavailable");
  struct Candidate {
    std::string key;
    std::string old_sealed;
    std::string new_sealed;
    uint32_t old_version = 0;
  };
  std::vector<Candidate> candidates;
  ReencryptResult r;
  {
    rocksdb::ReadOptions ro = ScanOptions();
    ro.fill_cache = false;  // a sweep must not evict the tenant's working set
    std::unique_ptr<rocksdb::Iterator> it(storage_->db()->NewIterator(ro, options_.cf.get()));
    const PhysKey from(*this, start_after);
    it->Seek(from.slice());
    if (!start_after.empty() && it->Valid() && it->key() == from.slice()) it->Next();
    for (; it->Valid() && r.examined < max_keys; it->Next()) {
      ++r.examined;
      r.last_key.assign(UserKey(it->key().ToStringView()));
      TKV_ASSIGN_OR_RETURN(EnvelopeHeader h, ParseEnvelope(it->value().ToStringView()));
      if (h.key_version == target) continue;
      candidates.push_back({r.last_key, it->value().ToString(), {}, h.key_version});
    }
    TKV_RETURN_IF_ERROR(FromRocks(it->status(), "re-encryption scan"));
    r.reached_end = !it->Valid();
  }
  // Sealing happens outside the locks; the locks only guard the swap.
  for (auto& c : candidates) {
    TKV_ASSIGN_OR_RETURN(Stored st, MakeStored(c.old_sealed));
    TKV_ASSIGN_OR_RETURN(EnvelopeHeader h, ParseEnvelope(c.old_sealed));
    std::string value;
    TKV_RETURN_IF_ERROR(Open(c.key, &st, &value));
    if (options_.seals != nullptr) TKV_RETURN_IF_ERROR(options_.seals->Count(target));
    TKV_RETURN_IF_ERROR(
        SealValueWithNonce(*key, target, options_.tenant_id, c.key, value, st.expires_at_ms, h.nonce, &c.new_sealed));
  }
  if (candidates.empty()) return r;
  std::set<size_t> stripe_ids;
  for (const auto& c : candidates) stripe_ids.insert(&StripeFor(c.key) - stripes_.get());
  StripeLocks locks(stripes_.get(), stripe_ids);
  rocksdb::WriteBatch batch;
  VersionDeltas deltas;
  size_t resealed = 0;
  std::string now;
  for (const auto& c : candidates) {
    rocksdb::Status s =
        storage_->db()->Get(rocksdb::ReadOptions(), options_.cf.get(), PhysKey(*this, c.key).slice(), &now);
    if (s.IsNotFound()) continue;
    TKV_RETURN_IF_ERROR(FromRocks(s, "re-read value"));
    if (now != c.old_sealed) continue;  // written since: the newer value stays
    TKV_RETURN_IF_ERROR(
        FromRocks(batch.Put(options_.cf.get(), PhysKey(*this, c.key).slice(), c.new_sealed), "stage re-seal"));
    CountMove(c.old_version, target, &deltas);
    ++resealed;
  }
  if (resealed > 0) {
    TKV_RETURN_IF_ERROR(StageVersionCounts(deltas, &batch));
    TKV_RETURN_IF_ERROR(Commit(&batch, 0, 0));
  }
  r.resealed = resealed;
  return r;
}

Result<std::vector<int64_t>> CfTenantStore::ValueCounts(const std::vector<uint32_t>& versions) {
  ScopedOp op(*this);
  TKV_RETURN_IF_ERROR(op.status());
  // One snapshot: a re-encryption step moves values from one version to
  // another in one batch, and separate reads could see one side only.
  const std::unique_ptr<Storage::Snapshot> snapshot = storage_->TakeSnapshot();
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot->get();
  std::vector<int64_t> out;
  std::string raw;
  for (uint32_t version : versions) {
    rocksdb::Status s = storage_->db()->Get(ro, storage_->system(), ValuesCountKey(options_.tenant_id, version), &raw);
    int64_t values = 0, unused = 0;
    if (s.ok() && !DecodeUsage(raw, &values, &unused)) return Status::DataLoss("value count record is malformed");
    if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "read value count");
    out.push_back(values);
  }
  return out;
}

}  // namespace tenantkv::engine
