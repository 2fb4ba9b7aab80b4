// TenantRegistry: creates, finds, suspends and deletes tenants.
//
// Persistence (system column family):
//   tenant/<id>                  JSON TenantInfo
//   dkey/<id>/<version, 8 hex>   JSON {master_version, wrapped (hex), created_at}
//   usage/<id>                   merged (keys, bytes) counters
// A new tenant takes a spare column family from the ColumnFamilyPool and a
// deleted tenant's column family is emptied and returned to it, so neither
// issues column-family DDL (which stalls every tenant's writes in RocksDB).
// Delete is crypto-shredding: data keys are destroyed (and purged from the
// DB's files) in the same batch as the range delete of the tenant's data;
// an interrupted delete is finished at the next start. Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "crypto/key_provider.h"
#include "engine/cf_pool.h"
#include "engine/clock.h"
#include "engine/storage.h"
#include "engine/tenant.h"

namespace tenantkv::engine {

struct RegistryOptions {
  size_t max_value_bytes = 1 << 20;  // largest value a tenant may store
  std::vector<std::string> plans = {"free", "standard", "premium"};
  // When set, decides which plan names exist instead of `plans`.
  std::function<bool(const std::string&)> plan_exists;
  std::string default_plan = "standard";
  CfPoolOptions pool;
};

class TenantRegistry {
 public:
  // Loads every tenant, unwraps its data keys, finishes interrupted deletes
  // and recycles column families that no tenant owns (a crash mid-create).
  // All pointers must outlive the registry.
  static Result<std::unique_ptr<TenantRegistry>> Open(Storage* storage,
                                                      const crypto::KeyProvider* keys,
                                                      const Clock* clock, RegistryOptions options);

  // InvalidArgument for a bad id or unknown plan, AlreadyExists if taken.
  Result<std::shared_ptr<Tenant>> Create(const std::string& id, const std::string& plan);
  // NotFound("tenant_not_found") if there is no such (live) tenant.
  Result<std::shared_ptr<Tenant>> Get(const std::string& id) const;
  std::vector<std::shared_ptr<Tenant>> List() const;
  Result<std::shared_ptr<Tenant>> SetSuspended(const std::string& id, bool suspended);
  Status Delete(const std::string& id);

  // Flushes every tenant's memtables (tests and graceful shutdown).
  Status FlushAll();

  ColumnFamilyPool& cf_pool() { return *pool_; }

 private:
  TenantRegistry(Storage* storage, const crypto::KeyProvider* keys, const Clock* clock,
                 RegistryOptions options)
      : storage_(storage), keys_(keys), clock_(clock), options_(std::move(options)) {}

  Status Load();
  Result<std::shared_ptr<Tenant>> Materialize(TenantInfo info, CfHandle cf);
  Status PersistInfo(const TenantInfo& info);
  // `recycle`: stage the range delete of the tenant's column family in the
  // key-destroying batch (false when the pool has adopted it already).
  Status Shred(const TenantInfo& info, bool recycle);

  Storage* const storage_;
  const crypto::KeyProvider* const keys_;
  const Clock* const clock_;
  const RegistryOptions options_;

  std::unique_ptr<ColumnFamilyPool> pool_;
  mutable std::shared_mutex mu_;
  std::map<std::string, std::shared_ptr<Tenant>> tenants_;  // GUARDED_BY(mu_)
  std::set<std::string> busy_ids_;  // GUARDED_BY(mu_): being created or deleted
};

}  // namespace tenantkv::engine
