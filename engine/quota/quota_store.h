// QuotaStore: versioned quota manifests per tenant, and the plans.
//
// Every change is a new manifest version with author, time and what changed;
// a revert is a new version equal to an old one. Persistence (system column
// family, always fsync'd):
//   quota/<tenant>/<version, 16 hex>   JSON manifest
//   plan/<name>                        JSON plan (operator changes; built-in
//                                      plans are used until changed)
// Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/mutex.h"
#include "engine/clock.h"
#include "engine/quota/capacity.h"
#include "engine/quota/quota.h"
#include "engine/storage/storage.h"

namespace tenantkv::engine {

struct QuotaManifest {
  int64_t version = 0;
  Quota quota;
  std::string updated_by;  // key id of a tenant admin, "operator" or "operator:<name>"
  int64_t updated_at_ms = 0;
  std::map<std::string, std::pair<int64_t, int64_t>> changes;  // field -> (old, new)
  std::string request;  // the quota request whose approval made it; "" otherwise
};

// A page of a tenant's quota history.
struct QuotaHistoryPage {
  std::vector<QuotaManifest> versions;  // oldest first
  std::optional<int64_t> next;          // the last version given, when more follow
};

class QuotaStore {
 public:
  static Result<std::unique_ptr<QuotaStore>> Open(Storage* storage, const Clock* clock);

  std::vector<Plan> Plans() const;
  // NotFound("plan_not_found").
  Result<Plan> GetPlan(const std::string& name) const;
  // Replaces (or adds) a plan after ValidatePlan. Existing tenants keep their
  // manifests; the plan's range applies to their next change.
  Status PutPlan(const Plan& plan);

  // Version 1 = the plan's defaults; replaces anything left of an older
  // tenant of the same id.
  Result<QuotaManifest> Initialize(const std::string& tenant, const std::string& plan,
                                   const std::string& author);
  // NotFound("quota_not_found") if the tenant has none. Its `changes` are
  // left out (History has them): a node of 100,000 tenants keeps one
  // current manifest each in memory.
  Result<QuotaManifest> Current(const std::string& tenant) const;
  Result<std::vector<QuotaManifest>> History(const std::string& tenant) const;
  // At most `limit` (>= 1) versions after `after_version`, oldest first.
  // NotFound("quota_not_found") if the tenant has none.
  Result<QuotaHistoryPage> HistoryPage(const std::string& tenant, int64_t after_version, size_t limit) const;
  // A new version holding `next` (validated). No-op changes still make a
  // version, so every PUT is recorded. `request`: the approved quota
  // request it applies, if any (named in the version).
  Result<QuotaManifest> Update(const std::string& tenant, const Quota& next, const std::string& author,
                               const std::string& request = "");
  // A new version made by `change` from the current quota, both under the
  // store's lock, so that no other change lands between the read and the
  // write. `change` may refuse (its Status is returned, nothing written).
  Result<QuotaManifest> Modify(const std::string& tenant, const std::function<Status(Quota&)>& change,
                               const std::string& author, const std::string& request = "");
  // A new version equal to `version`. NotFound("version_not_found").
  Result<QuotaManifest> Revert(const std::string& tenant, int64_t version, const std::string& author);
  Status RemoveTenant(const std::string& tenant);
  // Reads the tenant's current manifest from its stored records into
  // memory (a tenant transferred from another node, whose manifests were
  // written with its commit: backup/tenant_transfer.h).
  // NotFound("quota_not_found") if it has none.
  Status LoadTenant(const std::string& tenant);
  // Tenants that have a manifest.
  std::vector<std::string> Tenants() const;
  // The capacity sums of every tenant's current quota but `except`'s.
  CapacityUse Use(const std::string& except = "") const;

 private:
  QuotaStore(Storage* storage, const Clock* clock) : storage_(storage), clock_(clock) {}
  Status Load();
  Result<QuotaManifest> Append(const std::string& tenant, const Quota& next, const std::string& author,
                               const std::string& request);
  // The current manifest as held in memory, for every tenant: without its
  // changes (the history has them), and its author and request on the
  // heap only when they are not the common "operator" and none.
  struct Kept {
    int64_t version = 0;
    SharedQuota quota;  // interned (quota.h)
    int64_t updated_at_ms = 0;
    std::unique_ptr<std::pair<std::string, std::string>> by_and_request;
  };
  static Kept Keep(const QuotaManifest& m);
  static QuotaManifest ManifestOf(const Kept& k);
  Result<QuotaManifest> AppendLocked(const std::string& tenant, int64_t current_version, const Quota& current,
                                     const Quota& next, const std::string& author, const std::string& request)
      REQUIRES(mu_);
  Status Write(const std::string& tenant, const QuotaManifest& m);

  Storage* const storage_;
  const Clock* const clock_;
  mutable Mutex mu_;
  std::map<std::string, Plan> plans_ GUARDED_BY(mu_);
  std::map<std::string, Kept> current_ GUARDED_BY(mu_);
};

}  // namespace tenantkv::engine
