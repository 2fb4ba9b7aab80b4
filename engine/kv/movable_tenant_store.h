// MovableTenantStore: a tenant's store whose place can change while it is
// served (an online tier move: tier_mover.h). It forwards every operation
// to the CfTenantStore of the tenant's current place. Swap() publishes the
// store of the new place and closes the old one; an operation that reached
// the old store after it closed is run again on the new one, so no caller
// sees the switch. The hot path takes no lock: one atomic load.
//
// It may also start unopened (the lazy constructor): the first store is
// then built by the opener when an operation first needs it. Until then it
// answers GetUsage with the usage it was given and keeps the settings it is
// told for that store: an idle tenant costs no store at all (most pooled
// tenants are idle, and a node holds a hundred thousand).
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
  // Builds the tenant's first store from its usage as persisted.
  using Opener = std::function<Result<std::unique_ptr<CfTenantStore>>(const Usage& usage)>;
  // Unopened: `open` builds the first store, from `usage`, when it is first
  // needed. Its error is that operation's answer (the next one tries again).
  MovableTenantStore(Opener open, const Usage& usage);

  // The store of the tenant's current place, opened if it was not yet.
  // NotFound("tenant_not_found") once closed.
  Result<CfTenantStore*> Current() EXCLUDES(mu_);
  // Whether a store was built (tests and diagnostics).
  bool opened() const { return current_.load(std::memory_order_acquire) != nullptr; }
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
  // CfTenantStore::ValueCounts of the current store.
  Result<std::vector<int64_t>> ValueCounts(const std::vector<uint32_t>& versions);

  Result<ValueRecord> Get(std::string_view key) override;
  Result<ValueRecord> GetResident(std::string_view key) override;
  Result<PutResult> Put(std::string_view key, std::string_view value, const PutOptions& options) override;
  Status Delete(std::string_view key, const WriteCondition& condition) override;
  Result<ListPage> List(const ListRequest& request) override;
  using TenantStore::Batch;
  Result<std::vector<BatchOpResult>> Batch(const std::vector<BatchOp>& ops, const BatchLimits& limits) override;
  Usage GetUsage() const override;
  Result<ReencryptResult> Reencrypt(std::string_view start_after, size_t max_keys) override;
  void WriteBarrier() override;
  Result<std::unique_ptr<StoreSnapshot>> Snapshot() override;
  void SetLimits(int64_t storage_bytes, int64_t max_value_bytes) override EXCLUDES(mu_);
  void SetGrace(int64_t extra_pct, int64_t seconds) override EXCLUDES(mu_);
  GraceState Grace() const override;
  // A period that is running opens the store (its writes are checked
  // against it, and it expires on its own).
  void RestoreGrace(int64_t started_ms, bool expired) override EXCLUDES(mu_);
  bool ExpireGraceIfDue() override;
  // Closes every store it holds; a later Swap fails.
  void Close() override EXCLUDES(mu_);

 private:
  // Runs `op` on the current store; once more on the new one when the
  // store it ran on was swapped out and closed under it.
  template <typename Op>
  auto Run(Op&& op) -> decltype(op(std::declval<CfTenantStore&>()));
  // Builds the first store with the settings kept for it, and publishes it.
  Status OpenLocked() REQUIRES(mu_);

  // nullptr until the first store is built (lazy constructor only).
  std::atomic<CfTenantStore*> current_;
  // Settings go to the current store under mu_, and Swap publishes a store
  // under it: a setting is never lost to a store that is being replaced.
  mutable Mutex mu_;
  bool closed_ GUARDED_BY(mu_) = false;
  std::vector<std::unique_ptr<CfTenantStore>> stores_ GUARDED_BY(mu_);  // every one ever current
  // Unopened only: the opener (emptied once it has built the store), the
  // usage it starts from, and the settings kept for the store.
  Opener open_ GUARDED_BY(mu_);
  const Usage unopened_usage_;
  struct Settings {
    int64_t storage_bytes = 0;
    int64_t max_value_bytes = 0;
    int64_t grace_pct = 0;
    int64_t grace_seconds = 0;
    int64_t grace_started_ms = 0;  // a period restored before the store was built
    bool grace_expired = false;
  };
  Settings settings_ GUARDED_BY(mu_);
};

}  // namespace tenantkv::engine
