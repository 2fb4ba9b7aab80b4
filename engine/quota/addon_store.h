// AddonStore: temporary boosts of a tenant's quota ("add-ons").
//
// An add-on sets some quota fields to absolute values for a period
// [starts_at, ends_at). The store only keeps the records; the engine moves
// them through their states (Engine::RunAddons), each start and end being a
// new quota manifest version:
//
//   scheduled --start--> active --end--> ended
//       |                   |
//       +----cancel---------+--------> cancelled
//
// A record keeps the values its fields had when it started, so that its end
// can put them back. Persisted in the system column family (fsync'd) under
//   addon/<tenant>/<id>   JSON record
// so add-ons survive restarts; one that should have started or ended while
// the node was down does so at the first run after the start.
// Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/mutex.h"
#include "crypto/status.h"
#include "engine/storage/storage.h"

namespace tenantkv::engine {

// Unfinished (scheduled or active) add-ons one tenant may have.
inline constexpr size_t kMaxOpenAddonsPerTenant = 16;
// Finished ones kept per tenant for its history; the oldest go first.
inline constexpr size_t kMaxFinishedAddonsPerTenant = 64;
// The longest period one add-on may cover.
inline constexpr int64_t kMaxAddonMillis = 366LL * 24 * 3600 * 1000;

enum class AddonState { kScheduled, kActive, kEnded, kCancelled };

const char* AddonStateName(AddonState s);

struct Addon {
  std::string id;  // 16 hex
  std::string tenant;
  std::map<std::string, int64_t> fields;  // quota field -> value while active
  int64_t starts_at_ms = 0;
  int64_t ends_at_ms = 0;
  std::string reason;
  std::string request;  // the quota request it grants, if any
  std::string created_by;
  int64_t created_at_ms = 0;
  AddonState state = AddonState::kScheduled;
  // Set at the start: each field's value before it.
  std::map<std::string, int64_t> saved;
  int64_t started_version = 0;  // quota manifest versions it made
  int64_t ended_version = 0;
  int64_t finished_at_ms = 0;   // when it ended or was cancelled
  std::string cancelled_by;

  bool open() const { return state == AddonState::kScheduled || state == AddonState::kActive; }
};

class AddonStore {
 public:
  static Result<std::unique_ptr<AddonStore>> Open(Storage* storage);

  // Stores a new scheduled add-on after checking the tenant's bounds:
  // AlreadyExists("addon_limit") past kMaxOpenAddonsPerTenant open ones,
  // AlreadyExists("addon_overlap") when an open one shares a field and
  // overlaps in time. Drops the tenant's oldest finished records past
  // kMaxFinishedAddonsPerTenant. `a.id` is set here.
  Result<Addon> Add(Addon a);
  // Replaces a stored record (a state change).
  Status Put(const Addon& a);
  // NotFound("addon_not_found").
  Result<Addon> Get(const std::string& tenant, const std::string& id) const;
  // The tenant's add-ons, by start time, then id.
  std::vector<Addon> List(const std::string& tenant) const;
  // Open add-ons due to change at `now_ms` (a scheduled one whose start, or
  // an active one whose end, has come), in the order they are due.
  std::vector<Addon> Due(int64_t now_ms) const;
  // Every active add-on of every tenant.
  std::vector<Addon> Active() const;
  // The earliest start or end still ahead among open add-ons, if any.
  std::optional<int64_t> NextChange() const;
  Status RemoveTenant(const std::string& tenant);
  // Reads the tenant's stored add-ons into memory (a tenant transferred
  // from another node: backup/tenant_transfer.h).
  Status LoadTenant(const std::string& tenant);
  std::vector<std::string> Tenants() const;

 private:
  explicit AddonStore(Storage* storage) : storage_(storage) {}
  Status Load();
  Status Write(const Addon& a);

  Storage* const storage_;
  mutable Mutex mu_;
  // tenant -> id -> record
  std::map<std::string, std::map<std::string, Addon>> addons_ GUARDED_BY(mu_);
};

}  // namespace tenantkv::engine
