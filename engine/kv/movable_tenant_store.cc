#include "engine/kv/movable_tenant_store.h"

namespace tenantkv::engine {
namespace {

const Status& StatusOf(const Status& s) { return s; }
template <typename T>
const Status& StatusOf(const Result<T>& r) {
  return r.status();
}

// The settings kept for a store not built yet (MovableTenantStore's
// Settings), given to the store that replaces the unopened one.
template <typename Settings>
void ApplyKept(const Settings& kept, CfTenantStore& store) {
  store.SetLimits(kept.storage_bytes, kept.max_value_bytes);
  store.SetGrace(kept.grace_pct, kept.grace_seconds);
  if (kept.grace_started_ms != 0) store.RestoreGrace(kept.grace_started_ms, kept.grace_expired);
}

}  // namespace

MovableTenantStore::MovableTenantStore(std::unique_ptr<CfTenantStore> first) : current_(first.get()) {
  MutexLock lock(mu_);
  stores_.push_back(std::move(first));
}

MovableTenantStore::MovableTenantStore(Opener open, const Usage& usage)
    : current_(nullptr), open_(std::move(open)), unopened_usage_(usage) {}

Status MovableTenantStore::OpenLocked() {
  if (closed_) return Status::NotFound("the tenant was deleted", "tenant_not_found");
  TKV_ASSIGN_OR_RETURN(std::unique_ptr<CfTenantStore> first, open_(unopened_usage_));
  ApplyKept(settings_, *first);
  current_.store(first.get(), std::memory_order_release);
  stores_.push_back(std::move(first));
  open_ = nullptr;
  return Status::Ok();
}

Result<CfTenantStore*> MovableTenantStore::Current() {
  if (CfTenantStore* s = current_.load(std::memory_order_acquire); s != nullptr) return s;
  MutexLock lock(mu_);
  if (current_.load(std::memory_order_relaxed) == nullptr) TKV_RETURN_IF_ERROR(OpenLocked());
  return current_.load(std::memory_order_relaxed);
}

template <typename Op>
auto MovableTenantStore::Run(Op&& op) -> decltype(op(std::declval<CfTenantStore&>())) {
  for (;;) {
    CfTenantStore* store = current_.load(std::memory_order_acquire);
    if (store == nullptr) {
      Result<CfTenantStore*> opened = Current();
      if (!opened.ok()) return opened.status();
      store = *opened;
    }
    auto out = op(*store);
    // A closed store refuses with tenant_not_found before it does anything.
    // If it was closed by a swap, the new store answers instead.
    const Status& s = StatusOf(out);
    if (s.ok() || s.reason() != "tenant_not_found" || current_.load(std::memory_order_acquire) == store) {
      return out;
    }
  }
}

Result<std::vector<int64_t>> MovableTenantStore::ValueCounts(const std::vector<uint32_t>& versions) {
  return Run([&](CfTenantStore& s) { return s.ValueCounts(versions); });
}

Status MovableTenantStore::Swap(std::unique_ptr<CfTenantStore> next) {
  CfTenantStore* old = nullptr;
  {
    MutexLock lock(mu_);
    if (closed_) return Status::NotFound("the tenant was deleted", "tenant_not_found");
    old = current_.load(std::memory_order_relaxed);
    if (old != nullptr) {
      old->CopySettingsTo(*next);
    } else {  // never opened: nothing was written through it
      ApplyKept(settings_, *next);
      open_ = nullptr;
    }
    current_.store(next.get(), std::memory_order_release);
    stores_.push_back(std::move(next));
  }
  if (old != nullptr) old->Close();
  return Status::Ok();
}

Usage MovableTenantStore::GetUsage() const {
  const CfTenantStore* s = current_.load(std::memory_order_acquire);
  return s != nullptr ? s->GetUsage() : unopened_usage_;
}

void MovableTenantStore::WriteBarrier() {
  // Unopened: no write was ever in flight.
  if (CfTenantStore* s = current_.load(std::memory_order_acquire); s != nullptr) s->WriteBarrier();
}

GraceState MovableTenantStore::Grace() const {
  // Unopened: no period runs (RestoreGrace opens the store for one).
  const CfTenantStore* s = current_.load(std::memory_order_acquire);
  return s != nullptr ? s->Grace() : GraceState{};
}

bool MovableTenantStore::ExpireGraceIfDue() {
  CfTenantStore* s = current_.load(std::memory_order_acquire);
  return s != nullptr && s->ExpireGraceIfDue();
}

Status MovableTenantStore::WhileOpen(const std::function<Status()>& fn) {
  MutexLock lock(mu_);
  if (closed_) return Status::NotFound("the tenant was deleted", "tenant_not_found");
  return fn();
}

Result<ValueRecord> MovableTenantStore::Get(std::string_view key) {
  return Run([&](CfTenantStore& s) { return s.Get(key); });
}

Result<ValueRecord> MovableTenantStore::GetResident(std::string_view key) {
  return Run([&](CfTenantStore& s) { return s.GetResident(key); });
}

Result<PutResult> MovableTenantStore::Put(std::string_view key, std::string_view value, const PutOptions& options) {
  return Run([&](CfTenantStore& s) { return s.Put(key, value, options); });
}

Status MovableTenantStore::Delete(std::string_view key, const WriteCondition& condition) {
  return Run([&](CfTenantStore& s) { return s.Delete(key, condition); });
}

Result<ListPage> MovableTenantStore::List(const ListRequest& request) {
  return Run([&](CfTenantStore& s) { return s.List(request); });
}

Result<std::vector<BatchOpResult>> MovableTenantStore::Batch(const std::vector<BatchOp>& ops,
                                                             const BatchLimits& limits) {
  return Run([&](CfTenantStore& s) { return s.Batch(ops, limits); });
}

Result<ReencryptResult> MovableTenantStore::Reencrypt(std::string_view start_after, size_t max_keys) {
  return Run([&](CfTenantStore& s) { return s.Reencrypt(start_after, max_keys); });
}

Result<std::unique_ptr<StoreSnapshot>> MovableTenantStore::Snapshot() {
  return Run([&](CfTenantStore& s) { return s.Snapshot(); });
}

void MovableTenantStore::SetLimits(int64_t storage_bytes, int64_t max_value_bytes) {
  MutexLock lock(mu_);
  settings_.storage_bytes = storage_bytes;
  settings_.max_value_bytes = max_value_bytes;
  if (CfTenantStore* s = current_.load(std::memory_order_relaxed); s != nullptr) {
    s->SetLimits(storage_bytes, max_value_bytes);
  }
}

void MovableTenantStore::SetGrace(int64_t extra_pct, int64_t seconds) {
  MutexLock lock(mu_);
  settings_.grace_pct = extra_pct;
  settings_.grace_seconds = seconds;
  if (CfTenantStore* s = current_.load(std::memory_order_relaxed); s != nullptr) s->SetGrace(extra_pct, seconds);
}

void MovableTenantStore::RestoreGrace(int64_t started_ms, bool expired) {
  MutexLock lock(mu_);
  if (CfTenantStore* s = current_.load(std::memory_order_relaxed); s != nullptr) {
    s->RestoreGrace(started_ms, expired);
    return;
  }
  settings_.grace_started_ms = started_ms;
  settings_.grace_expired = expired;
  // A running period opens the store now. If it cannot be built, the
  // tenant's next operation tries again, and the period is restored then.
  if (started_ms != 0) OpenLocked().IgnoreError();
}

void MovableTenantStore::Close() {
  std::vector<CfTenantStore*> all;
  {
    MutexLock lock(mu_);
    closed_ = true;
    for (const auto& s : stores_) all.push_back(s.get());
  }
  for (CfTenantStore* s : all) s->Close();
}

}  // namespace tenantkv::engine
