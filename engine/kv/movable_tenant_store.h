// MovableTenantStore: a tenant's store whose place can change while it is
// served (an online tier move: tier_mover.h). It forwards every operation
// to the CfTenantStore of the tenant's current place. Swap() publishes the
// store of the new place and closes the old one; an operation that reached
// the old store after it closed is run again on the new one, so no caller
// sees the switch. The hot path takes no lock: one atomic load.
//
// The stores it ever held live as long as it does (an operation may still
// hold a pointer to an old one); there is one per move of the tenant.
// Thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "crypto/mutex.h"
#include "engine/kv/cf_tenant_store.h"

namespace tenantkv::engine {

class MovableTenantStore final : public TenantStore {
 public:
  explicit MovableTenantStore(std::unique_ptr<CfTenantStore> first);

  // The store of the tenant's current place.
  CfTenantStore& current() const { return *current_.load(std::memory_order_acquire); }
  // Makes `next` current, with the settings of the one it replaces
  // (CfTenantStore::CopySettingsTo), and closes the store it replaces (waiting for the
  // operations in flight on it). NotFound("tenant_not_found") if this store
  // was closed (the tenant is being deleted); `next` is then dropped.
  Status Swap(std::unique_ptr<CfTenantStore> next) EXCLUDES(mu_);
  // Runs `fn` unless the store is closed (NotFound("tenant_not_found")),
  // with Close() held off until it returns: a mover writes into the
  // tenant's new place only through here, so nothing lands there once a
  // delete has closed the store.
  Status WhileOpen(const std::function<Status()>& fn) EXCLUDES(mu_);

  Result<ValueRecord> Get(std::string_view key) override;
  Result<ValueRecord> GetResident(std::string_view key) override;
  Result<PutResult> Put(std::string_view key, std::string_view value, const PutOptions& options) override;
  Status Delete(std::string_view key, const WriteCondition& condition) override;
  Result<ListPage> List(const ListRequest& request) override;
  using TenantStore::Batch;
  Result<std::vector<BatchOpResult>> Batch(const std::vector<BatchOp>& ops, const BatchLimits& limits) override;
  Usage GetUsage() const override { return current().GetUsage(); }
  Result<ReencryptResult> Reencrypt(std::string_view start_after, size_t max_keys) override;
  void WriteBarrier() override { current().WriteBarrier(); }
  Result<std::unique_ptr<StoreSnapshot>> Snapshot() override;
  void SetLimits(int64_t storage_bytes, int64_t max_value_bytes) override EXCLUDES(mu_);
  void SetGrace(int64_t extra_pct, int64_t seconds) override EXCLUDES(mu_);
  GraceState Grace() const override { return current().Grace(); }
  void RestoreGrace(int64_t started_ms, bool expired) override EXCLUDES(mu_);
  bool ExpireGraceIfDue() override { return current().ExpireGraceIfDue(); }
  // Closes every store it holds; a later Swap fails.
  void Close() override EXCLUDES(mu_);

 private:
  // Runs `op` on the current store; once more on the new one when the
  // store it ran on was swapped out and closed under it.
  template <typename Op>
  auto Run(Op&& op) -> decltype(op(std::declval<CfTenantStore&>()));

  std::atomic<CfTenantStore*> current_;
  // Settings go to the current store under mu_, and Swap publishes a store
  // under it: a setting is never lost to a store that is being replaced.
  mutable Mutex mu_;
  bool closed_ GUARDED_BY(mu_) = false;
  std::vector<std::unique_ptr<CfTenantStore>> stores_ GUARDED_BY(mu_);  // every one ever current
};

}  // namespace tenantkv::engine
