// Tenant: one customer's metadata, data keys and store, as held in memory.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/mutex.h"
#include "crypto/status.h"
#include "engine/keys/keyring.h"
#include "engine/keys/seal_counter.h"
#include "engine/quota/tenant_limits.h"
#include "engine/quota/usage_history.h"
#include "engine/kv/movable_tenant_store.h"
#include "engine/kv/tenant_store.h"
#include "engine/storage/charged_cache.h"

namespace tenantkv::engine {

enum class TenantState { kActive, kSuspended, kDeleting };
const char* TenantStateName(TenantState s);

struct DataKeyInfo {
  uint32_t version = 0;
  std::string state;  // "active" | "retiring" | "destroyed"
  int64_t created_at_ms = 0;
  uint32_t master_version = 0;  // master key it is wrapped under
};

// An online move of a tenant's data to another tier (tier_mover.h), as its
// record keeps it: the running one, else the last one's outcome.
struct TierMoveInfo {
  std::string to;     // the tier moved to (TierName)
  std::string place;  // the place being filled (a placement name); claimed while running
  std::string state;  // "copying" | "switching" | "done" | "failed"
  int64_t copied_keys = 0;
  int64_t started_at_ms = 0;
  int64_t ended_at_ms = 0;  // done or failed
  std::string error;        // why it failed
  bool running() const { return state == "copying" || state == "switching"; }
};

// An optional value kept on the heap: one pointer while absent, as it is
// in the records of most tenants (copies copy the value).
template <typename T>
class HeapOptional {
 public:
  HeapOptional() = default;
  HeapOptional(const HeapOptional& o) : p_(o.p_ ? std::make_unique<T>(*o.p_) : nullptr) {}
  HeapOptional& operator=(const HeapOptional& o) {
    p_ = o.p_ ? std::make_unique<T>(*o.p_) : nullptr;
    return *this;
  }
  HeapOptional(HeapOptional&&) noexcept = default;
  HeapOptional& operator=(HeapOptional&&) noexcept = default;
  HeapOptional& operator=(T value) {
    p_ = std::make_unique<T>(std::move(value));
    return *this;
  }
  bool has_value() const { return p_ != nullptr; }
  T& operator*() { return *p_; }
  const T& operator*() const { return *p_; }
  T* operator->() { return p_.get(); }
  const T* operator->() const { return p_.get(); }
  T value_or(T fallback) const { return p_ ? *p_ : std::move(fallback); }

 private:
  std::unique_ptr<T> p_;
};

// What is persisted about a tenant (never key material).
struct TenantInfo {
  std::string id;
  std::string plan;
  TenantState state = TenantState::kActive;
  int64_t created_at_ms = 0;
  std::string placement;  // where its data lives, e.g. "cf:t.acme.4f2a9c"
  std::vector<DataKeyInfo> data_keys;
  // Random (32 hex), made when the tenant is created or imported: tells this
  // tenant from an earlier or later one of the same id. Its API keys are
  // bound to it.
  std::string incarnation;
  // Absent until the tenant's first tier move.
  HeapOptional<TierMoveInfo> tier_move;
};

// Per-tenant state that a higher layer keeps (the server's request
// metrics). The engine only owns it, so it lives exactly as long as the
// tenant object and leaves with a deleted tenant.
class TenantAttachment {
 public:
  virtual ~TenantAttachment() = default;
};

// Thread-safe. Owned by the TenantRegistry; requests hold shared_ptrs so a
// deleted tenant stays valid until its in-flight requests finish.
class Tenant {
 public:
  explicit Tenant(TenantInfo info)
      : id_(std::move(info.id)), incarnation_(std::move(info.incarnation)), state_(info.state),
        info_(std::move(info)), limits_(Quota()) {
    info_.id.clear();  // moved from: empty already, said for the reader
    info_.incarnation.clear();
  }

  const std::string& id() const { return id_; }
  const std::string& incarnation() const { return incarnation_; }
  TenantState state() const { return state_.load(); }
  TenantInfo Info() const EXCLUDES(mu_) {
    MutexLock lock(mu_);
    TenantInfo copy = info_;
    copy.state = state_.load();
    copy.id = id_;
    copy.incarnation = incarnation_;
    return copy;
  }
  // Changes the tenant's record: `change` gets a copy (its state current)
  // and, holding the tenant's record lock, persists it; the copy becomes the
  // record when `change` succeeds. Every write of the record goes through
  // here, so none is based on an older copy than the one before it.
  Status ChangeInfo(const std::function<Status(TenantInfo& next)>& change) EXCLUDES(mu_) {
    MutexLock lock(mu_);
    TenantInfo next = info_;
    next.state = state_.load();
    next.id = id_;
    next.incarnation = incarnation_;
    TKV_RETURN_IF_ERROR(change(next));
    info_ = std::move(next);
    state_ = info_.state;
    // Kept once, in id_ and incarnation_ (they never change).
    info_.id.clear();
    info_.id.shrink_to_fit();
    info_.incarnation.clear();
    info_.incarnation.shrink_to_fit();
    return Status::Ok();
  }
  // Set once by the registry, seals first (the store uses both them and
  // the keyring), before the tenant is shared.
  void InitSeals(std::unique_ptr<SealCounter> seals) { seals_ = std::move(seals); }
  void InitStore(std::unique_ptr<MovableTenantStore> store) { store_ = std::move(store); }

  TenantStore& store() { return *store_; }
  const TenantStore& store() const { return *store_; }
  // The same store, for what changes its place (tier_mover.h).
  MovableTenantStore& movable_store() { return *store_; }
  Keyring& keyring() { return keyring_; }
  // Seals per data-key version (set once by the registry).
  SealCounter& seals() { return *seals_; }
  // What the tenant holds in the shared block cache (charged_cache.h):
  // charge its reads to it with a CacheAccountScope.
  const std::shared_ptr<CacheAccount>& cache_account() const { return cache_account_; }
  // Live quota enforcement; the Engine applies each new manifest to it.
  TenantLimits& limits() { return limits_; }
  const TenantLimits& limits() const { return limits_; }
  // The tenant's usage history, or null: none is kept until the tenant is
  // first used after start, nor once it has been idle for a day
  // (UsageHistoryStore loads, installs and frees it).
  std::shared_ptr<UsageHistory> usage_history() const { return std::atomic_load(&usage_history_); }
  // Installs `next` if the history is still `*expected`; else sets
  // *expected to the current one and returns false.
  bool ReplaceUsageHistory(std::shared_ptr<UsageHistory>* expected, std::shared_ptr<UsageHistory> next) {
    return std::atomic_compare_exchange_strong(&usage_history_, expected, std::move(next));
  }
  // The API key store's count of the tenant's keys (apikeys/api_keys.h):
  // the active ones, and creates past the limit check whose record is not
  // stored yet. Kept here, in 8 bytes, rather than in a map node of the
  // store's per tenant; only that store reads or changes it, always under
  // its own lock (hence mutable: the store is given const tenants).
  struct ApiKeyCount {
    uint32_t active = 0;
    uint32_t pending = 0;
  };
  ApiKeyCount& api_key_count() const { return api_key_count_; }

  // Serialises changes to the tenant's wrapped keys (dkey/<id>/...): held
  // while a key is wrapped under the current master version and persisted
  // (a new data-key version, the export key), while a version is destroyed,
  // while a master-key rotation rewraps the tenant's keys, and while a
  // delete shreds them, so none of these overwrites another's result.
  Mutex& key_mutex() RETURN_CAPABILITY(key_mu_) { return key_mu_; }

  // The tenant's attachment, default-constructed on first use; every caller
  // gets the same object. One attachment type per process: `T` must always
  // be the same type. Lock-free after the first call.
  template <typename T>
  T& Attached() {
    TenantAttachment* a = attachment_.load(std::memory_order_acquire);
    if (a == nullptr) {
      auto fresh = std::make_unique<T>();
      if (attachment_.compare_exchange_strong(a, fresh.get(), std::memory_order_acq_rel)) {
        a = fresh.release();
      }
    }
    return static_cast<T&>(*a);
  }
  // The attachment if one was made, else nullptr.
  template <typename T>
  T* AttachedIfAny() const {
    return static_cast<T*>(attachment_.load(std::memory_order_acquire));
  }

  ~Tenant() { delete attachment_.load(); }

 private:
  // The record's id and incarnation, immutable; info_ keeps them empty (one
  // copy each per tenant), and Info() and ChangeInfo() put them back.
  const std::string id_;
  const std::string incarnation_;
  std::atomic<TenantState> state_;  // = info_.state, readable without mu_
  mutable Mutex mu_;
  Mutex key_mu_;
  TenantInfo info_ GUARDED_BY(mu_);
  TenantLimits limits_;
  std::shared_ptr<UsageHistory> usage_history_;  // only through std::atomic_* functions
  Keyring keyring_;                     // before store_: the store uses it
  std::unique_ptr<SealCounter> seals_;  // before store_: the store uses it
  std::unique_ptr<MovableTenantStore> store_;  // set once by InitStore
  std::atomic<TenantAttachment*> attachment_{nullptr};  // owned
  mutable ApiKeyCount api_key_count_;                   // under the API key store's lock
  // Shared with the cache's records of its blocks, which outlive a deleted
  // tenant until the cache frees them.
  const std::shared_ptr<CacheAccount> cache_account_ = std::make_shared<CacheAccount>();
};

}  // namespace tenantkv::engine
