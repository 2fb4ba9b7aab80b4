#include "engine/kv/movable_tenant_store.h"

namespace tenantkv::engine {
namespace {

const Status& StatusOf(const Status& s) { return s; }
template <typename T>
const Status& StatusOf(const Result<T>& r) {
  return r.status();
}

}  // namespace

MovableTenantStore::MovableTenantStore(std::unique_ptr<CfTenantStore> first) : current_(first.get()) {
  MutexLock lock(mu_);
  stores_.push_back(std::move(first));
}

template <typename Op>
auto MovableTenantStore::Run(Op&& op) -> decltype(op(std::declval<CfTenantStore&>())) {
  for (;;) {
    CfTenantStore* store = current_.load(std::memory_order_acquire);
    auto out = op(*store);
    // A closed store refuses with tenant_not_found before it does anything.
    // If it was closed by a swap, the new store answers instead.
    const Status& s = StatusOf(out);
    if (s.ok() || s.reason() != "tenant_not_found" || current_.load(std::memory_order_acquire) == store) {
      return out;
    }
  }
}

Status MovableTenantStore::Swap(std::unique_ptr<CfTenantStore> next) {
  CfTenantStore* old = nullptr;
  {
    MutexLock lock(mu_);
    if (closed_) return Status::NotFound("the tenant was deleted", "tenant_not_found");
    old = current_.load(std::memory_order_relaxed);
    old->CopySettingsTo(*next);
    current_.store(next.get(), std::memory_order_release);
    stores_.push_back(std::move(next));
  }
  old->Close();
  return Status::Ok();
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
  current().SetLimits(storage_bytes, max_value_bytes);
}

void MovableTenantStore::SetGrace(int64_t extra_pct, int64_t seconds) {
  MutexLock lock(mu_);
  current().SetGrace(extra_pct, seconds);
}

void MovableTenantStore::RestoreGrace(int64_t started_ms, bool expired) {
  MutexLock lock(mu_);
  current().RestoreGrace(started_ms, expired);
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
