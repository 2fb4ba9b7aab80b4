// CfTenantStore: its write gate (write_gate.h), the raw read a transfer
// uses, its limits, and the settings
// a store of the same tenant in another place takes over (an online tier
// move).
#include <algorithm>

#include "engine/kv/cf_tenant_store.h"
#include "engine/kv/cf_tenant_store_parts.h"
#include "engine/storage/rocks_status.h"

namespace tenantkv::engine {

void CfTenantStore::SetWriteGate(WriteGate* gate) {
  WritersFirstWriterLock lock(gate_mu_);
  gate_ = gate;
}

void CfTenantStore::ClearWriteGate(WriteGate* gate) {
  WritersFirstWriterLock lock(gate_mu_);
  if (gate_ == gate) gate_ = nullptr;
}

void CfTenantStore::DrainWrites() { WritersFirstWriterLock lock(gate_mu_); }

Result<std::optional<std::string>> CfTenantStore::ReadSealed(std::string_view key) {
  ScopedOp op(*this);
  TKV_RETURN_IF_ERROR(op.status());
  std::string sealed;
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;  // a transfer must not evict the tenants' working sets
  rocksdb::Status s = storage_->db()->Get(ro, options_.cf.get(), PhysKey(*this, key).slice(), &sealed);
  if (s.IsNotFound()) return std::optional<std::string>();
  TKV_RETURN_IF_ERROR(FromRocks(s, "read sealed value"));
  return std::optional<std::string>(std::move(sealed));
}

void CfTenantStore::SetLimits(int64_t storage_bytes, int64_t max_value_bytes) {
  storage_limit_ = storage_bytes;
  value_limit_ = max_value_bytes;
}

size_t CfTenantStore::MaxValueBytes() const {
  const int64_t tenant = value_limit_.load();
  return tenant > 0 ? std::min(options_.max_value_bytes, static_cast<size_t>(tenant))
                    : options_.max_value_bytes;
}

void CfTenantStore::CopySettingsTo(CfTenantStore& next) const {
  next.SetLimits(storage_limit_.load(), value_limit_.load());
  next.SetGrace(grace_pct_.load(), grace_seconds_.load());
  int64_t started = 0;
  bool expired = false;
  {
    MutexLock lock(grace_mu_);
    started = grace_started_ms_.load();
    expired = grace_expired_;
  }
  if (started != 0) next.RestoreGrace(started, expired);
}

}  // namespace tenantkv::engine
