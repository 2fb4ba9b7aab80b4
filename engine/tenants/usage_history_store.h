// UsageHistoryStore: the tenants' usage histories (engine/quota/usage_history.h)
// in memory and in the system column family.
//
// Persistence: uhist/<id> holds UsageHistory::Encode of tenant <id>'s
// history. Flush (once a minute, and at a clean shutdown) writes the
// histories changed since their last write, and frees the ones with nothing
// left in the day (deleting their record), so an idle tenant holds only an
// empty pointer. A tenant's history is loaded the first time it is used
// after start (a call or a read). A tenant's delete removes the record with
// its other records (TenantDirectory::RemoveRecords); Barrier makes sure no
// flush writes it again after that. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "crypto/status.h"
#include "engine/quota/usage_history.h"
#include "engine/storage/storage.h"
#include "engine/tenants/tenant.h"

namespace tenantkv::engine {

class UsageHistoryStore {
 public:
  // `reason_names[i]` names throttle reason i in the records. `storage`
  // must outlive the store.
  UsageHistoryStore(Storage* storage, std::vector<std::string> reason_names)
      : storage_(storage), reason_names_(std::move(reason_names)) {}
  UsageHistoryStore(const UsageHistoryStore&) = delete;
  UsageHistoryStore& operator=(const UsageHistoryStore&) = delete;

  static std::string Key(const std::string& id);

  // The tenant's history, loaded (and installed) on first use. Null for a
  // deleting tenant (nothing is kept for it) or if its record cannot be
  // read. A malformed record is replaced by an empty history (counted in
  // corrupt_records(); the next flush overwrites it).
  std::shared_ptr<UsageHistory> Of(Tenant& t, int64_t now_ms);
  // Adds one call to the tenant's history (nothing for a deleting tenant).
  void Record(Tenant& t, int64_t now_ms, const UsageEvent& e);

  struct FlushStats {
    size_t written = 0;  // records written
    size_t freed = 0;    // idle histories freed (their records deleted)
  };
  // Writes every changed history of `tenants` (and frees the idle ones).
  // Continues past a failed write; the first failure is returned.
  Status Flush(const std::vector<std::shared_ptr<Tenant>>& tenants, int64_t now_ms, FlushStats* stats = nullptr);
  // Called by a delete once the tenant's state is "deleting", before its
  // records are removed: a flush writing its history finishes first, and
  // no later one writes it.
  static void Barrier(Tenant& t);

  uint64_t corrupt_records() const { return corrupt_records_.load(); }

 private:
  Storage* const storage_;
  const std::vector<std::string> reason_names_;
  std::atomic<uint64_t> corrupt_records_{0};
};

}  // namespace tenantkv::engine
