// TenantDirectory: which tenants exist, in which lifecycle state, and their
// persisted records.
//
// Persistence (system column family):
//   tenant/<id>    JSON TenantInfo
//   usage/<id>     merged (keys, bytes) counters
// and it removes kstat/<id>/ and uhist/<id> (engine/storage/system_keys.h)
// with them.
//
// In memory an id is in one of three states: live (Get, List), busy (being
// created, or a delete of it running: Reserve .. Publish/Release), or
// pending delete (its state "deleting" is persisted and its purge is not
// finished: PendingDelete). A live tenant is busy too while its delete runs.
// A taken id (any of these) cannot be created again. The directory's mutex
// is held only inside its own methods, never while calling out.
// Thread-safe.
#pragma once

#include <rocksdb/write_batch.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/mutex.h"
#include "crypto/status.h"
#include "engine/storage/storage.h"
#include "engine/tenants/tenant.h"

namespace tenantkv::engine {

// NotFound("tenant_not_found") naming tenant `id`: the answer for a tenant
// that does not exist, or no longer does (its delete has begun).
inline Status TenantNotFound(const std::string& id) {
  return Status::NotFound("tenant '" + id + "' does not exist", "tenant_not_found");
}

class TenantDirectory {
 public:
  // `storage` must outlive the directory.
  explicit TenantDirectory(Storage* storage) : storage_(storage) {}
  TenantDirectory(const TenantDirectory&) = delete;
  TenantDirectory& operator=(const TenantDirectory&) = delete;

  // --- Persisted records ---
  // Every tenant record. DataLoss if one is malformed.
  Result<std::vector<TenantInfo>> LoadRecords() const;
  Status PersistRecord(const TenantInfo& info);
  Status StageRecord(const TenantInfo& info, rocksdb::WriteBatch* batch) const;
  // Tenant `id`'s usage counters; zero if it has none.
  Result<Usage> ReadUsage(const std::string& id) const { return ReadUsageIn(*storage_, id); }
  // The same, in database `db` (a dedicated tenant's own, where its
  // counters live beside its data).
  static Result<Usage> ReadUsageIn(const Storage& db, const std::string& id);
  // The usage record `raw` of tenant `id`; DataLoss if malformed.
  static Result<Usage> ParseUsage(const std::string& id, std::string_view raw);
  void StageUsage(const std::string& id, const Usage& usage, rocksdb::WriteBatch* batch) const {
    StageUsageIn(*storage_, id, usage, batch);
  }
  // Stages tenant `id`'s usage record, set to `usage`, in database `db`.
  static void StageUsageIn(const Storage& db, const std::string& id, const Usage& usage, rocksdb::WriteBatch* batch);
  // The system column family key of tenant `id`'s usage counters.
  static std::string UsageKey(const std::string& id);
  // Removes the tenant record, its usage counters, its usage history
  // (uhist/<id>) and kstat/<id>/, in one fsync'd batch.
  Status RemoveRecords(const std::string& id);

  // --- Ids ---
  // Takes `id` for a create (busy). AlreadyExists("tenant_exists") if it
  // is taken.
  Status Reserve(const std::string& id);
  // Ends the Reserve: `tenant` (if not null) becomes live under `id`.
  void Publish(const std::string& id, std::shared_ptr<Tenant> tenant);
  // NotFound("tenant_not_found") unless live.
  Result<std::shared_ptr<Tenant>> Get(const std::string& id) const;
  std::vector<std::shared_ptr<Tenant>> List() const;
  // At most `max` live tenants whose ids sort after `start_after` (every id
  // does after ""), in id order: a page of List that costs its own size.
  std::vector<std::shared_ptr<Tenant>> ListAfter(const std::string& start_after, size_t max) const;

  // --- The delete state machine ---
  // A delete not finished: the tenant's record, and whether its place is
  // still its own (not yet released).
  struct PendingPurge {
    TenantInfo info;
    bool owns_place = true;
  };
  struct DeleteStart {
    bool resumed = false;  // the tenant was deleting already
    bool running = false;  // another delete of it is running: leave it to that one
    std::shared_ptr<Tenant> live;  // the live tenant; null when resuming a pending delete
    PendingPurge purge;            // the pending delete resumed
  };
  // Starts a delete of `id`: unless another delete of it runs, the id is
  // busy until FinishDelete. NotFound("tenant_not_found") if there is no
  // such tenant, deleting or not.
  Result<DeleteStart> BeginDelete(const std::string& id);
  // The live tenant `id`'s state "deleting" is persisted: it leaves Get and
  // List for PendingDelete.
  void MarkDeleting(const std::string& id, const PendingPurge& purge);
  // Ends BeginDelete: the id is free if `purged`, else its delete stays
  // pending with `owns_place`.
  void FinishDelete(const std::string& id, bool purged, bool owns_place);
  // A delete found pending at start whose purge failed again.
  void AddPending(const TenantInfo& info, bool owns_place);
  // NotFound("tenant_not_found") unless a delete of `id` is pending.
  Result<TenantInfo> PendingDelete(const std::string& id) const;
  std::vector<TenantInfo> PendingDeletes() const;

 private:
  Storage* const storage_;

  mutable SharedMutex mu_;
  std::map<std::string, std::shared_ptr<Tenant>> tenants_ GUARDED_BY(mu_);
  std::set<std::string> busy_ids_ GUARDED_BY(mu_);  // being created or deleted
  std::map<std::string, PendingPurge> deleting_ GUARDED_BY(mu_);
};

}  // namespace tenantkv::engine
