// CfTenantStore: its write gate (write_gate.h) and the settings a store of
// the same tenant in another place takes over (an online tier move).
#include "engine/kv/cf_tenant_store.h"

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
