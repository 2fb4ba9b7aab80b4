#include "engine/storage/charged_cache.h"

#include <array>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace tenantkv::engine {
namespace {

using rocksdb::Cache;
using rocksdb::Slice;

thread_local const std::shared_ptr<CacheAccount>* current_account = nullptr;

CacheAccount* CurrentAccount() { return current_account != nullptr ? current_account->get() : nullptr; }

// A charged entry: its key, what its own deleter was, and whom it is
// charged to.
struct Charged {
  std::string key;
  Cache::DeleterFn deleter = nullptr;
  std::shared_ptr<CacheAccount> account;
  size_t charge = 0;
};

// The charged entries of every charged cache, by value pointer and then
// key (together unique among live entries: a key is unique within a cache
// at a time, and an entry replaced under the same key has another value;
// GetDeleter gives only the value). Deleters get no context, so this is
// process-wide; it is never destroyed, as caches may free entries during
// static destruction.
class Registry {
 public:
  void Put(void* value, Charged c) {
    Shard& s = ShardOf(value);
    std::lock_guard<std::mutex> lock(s.mu);
    s.entries.emplace(value, std::move(c));
  }
  bool Take(const Slice& key, void* value, Charged* out) {
    Shard& s = ShardOf(value);
    std::lock_guard<std::mutex> lock(s.mu);
    auto [first, last] = s.entries.equal_range(value);
    for (auto it = first; it != last; ++it) {
      if (Slice(it->second.key) != key) continue;
      *out = std::move(it->second);
      s.entries.erase(it);
      return true;
    }
    return false;
  }
  Cache::DeleterFn DeleterOf(void* value) {
    Shard& s = ShardOf(value);
    std::lock_guard<std::mutex> lock(s.mu);
    auto it = s.entries.find(value);
    return it == s.entries.end() ? nullptr : it->second.deleter;
  }

 private:
  struct Shard {
    std::mutex mu;
    std::unordered_multimap<void*, Charged> entries;
  };
  // Values are aligned allocations: their low bits say nothing.
  Shard& ShardOf(void* value) {
    const uint64_t p = reinterpret_cast<uintptr_t>(value);
    return shards_[((p >> 4) * 0x9E3779B97F4A7C15ull) >> 58];
  }
  std::array<Shard, 64> shards_;  // 64: the top 6 bits of the hash
};

Registry& Charges() {
  static Registry* registry = new Registry();
  return *registry;
}

void ChargedDeleter(const Slice& key, void* value) {
  Charged c;
  // Only entries inserted with this deleter reach it, each registered first
  // and taken once: a miss is a broken invariant, and going on would leak
  // or free the value wrongly.
  if (!Charges().Take(key, value, &c)) std::abort();
  c.account->charge.fetch_sub(static_cast<int64_t>(c.charge), std::memory_order_relaxed);
  if (c.deleter != nullptr) c.deleter(key, value);
}

// A helper like `original` whose deleter is ChargedDeleter: the cache keeps
// the helper for the entry's life, so each is made once and kept.
const Cache::CacheItemHelper* ChargedHelper(const Cache::CacheItemHelper* original) {
  static std::mutex mu;
  static auto* helpers = new std::unordered_map<const Cache::CacheItemHelper*, Cache::CacheItemHelper>();
  std::lock_guard<std::mutex> lock(mu);
  auto [it, fresh] = helpers->try_emplace(original, original->size_cb, original->saveto_cb, &ChargedDeleter);
  (void)fresh;
  return &it->second;
}

class ChargedCache final : public Cache {
 public:
  explicit ChargedCache(std::shared_ptr<Cache> target) : target_(std::move(target)) {}

  const char* Name() const override { return target_->Name(); }

  rocksdb::Status Insert(const Slice& key, void* value, size_t charge, DeleterFn deleter, Handle** handle,
                         Priority priority) override {
    if (CurrentAccount() == nullptr || value == nullptr) {
      return target_->Insert(key, value, charge, deleter, handle, priority);
    }
    Register(key, value, charge, deleter);
    rocksdb::Status s = target_->Insert(key, value, charge, &ChargedDeleter, handle, priority);
    if (!s.ok() && handle != nullptr) Unregister(key, value);  // the caller frees it with its own deleter
    return s;
  }

  rocksdb::Status Insert(const Slice& key, void* value, const CacheItemHelper* helper, size_t charge,
                         Handle** handle, Priority priority) override {
    if (CurrentAccount() == nullptr || value == nullptr || helper == nullptr) {
      return target_->Insert(key, value, helper, charge, handle, priority);
    }
    Register(key, value, charge, helper->del_cb);
    rocksdb::Status s = target_->Insert(key, value, ChargedHelper(helper), charge, handle, priority);
    if (!s.ok() && handle != nullptr) Unregister(key, value);
    return s;
  }

  Handle* Lookup(const Slice& key, rocksdb::Statistics* stats) override {
    return Count(target_->Lookup(key, stats));
  }
  Handle* Lookup(const Slice& key, const CacheItemHelper* helper, const CreateCallback& create_cb,
                 Priority priority, bool wait, rocksdb::Statistics* stats) override {
    return Count(target_->Lookup(key, helper, create_cb, priority, wait, stats));
  }

  bool Ref(Handle* handle) override { return target_->Ref(handle); }
  bool Release(Handle* handle, bool erase_if_last_ref) override { return target_->Release(handle, erase_if_last_ref); }
  bool Release(Handle* handle, bool useful, bool erase_if_last_ref) override {
    return target_->Release(handle, useful, erase_if_last_ref);
  }
  void* Value(Handle* handle) override { return target_->Value(handle); }
  void Erase(const Slice& key) override { target_->Erase(key); }
  uint64_t NewId() override { return target_->NewId(); }
  void SetCapacity(size_t capacity) override { target_->SetCapacity(capacity); }
  void SetStrictCapacityLimit(bool strict) override { target_->SetStrictCapacityLimit(strict); }
  bool HasStrictCapacityLimit() const override { return target_->HasStrictCapacityLimit(); }
  size_t GetCapacity() const override { return target_->GetCapacity(); }
  size_t GetUsage() const override { return target_->GetUsage(); }
  size_t GetOccupancyCount() const override { return target_->GetOccupancyCount(); }
  size_t GetTableAddressCount() const override { return target_->GetTableAddressCount(); }
  size_t GetUsage(Handle* handle) const override { return target_->GetUsage(handle); }
  size_t GetPinnedUsage() const override { return target_->GetPinnedUsage(); }
  size_t GetCharge(Handle* handle) const override { return target_->GetCharge(handle); }
  // The entry's own deleter, not ours: RocksDB tells the kinds of entries
  // apart by their deleters (the block cache's statistics by role).
  DeleterFn GetDeleter(Handle* handle) const override {
    const DeleterFn d = target_->GetDeleter(handle);
    return d == &ChargedDeleter ? Charges().DeleterOf(target_->Value(handle)) : d;
  }
  void DisownData() override { target_->DisownData(); }
  void ApplyToAllEntries(const std::function<void(const Slice& key, void* value, size_t charge, DeleterFn deleter)>& callback,
                         const ApplyToAllEntriesOptions& opts) override {
    target_->ApplyToAllEntries(
        [&callback](const Slice& key, void* value, size_t charge, DeleterFn deleter) {
          callback(key, value, charge, deleter == &ChargedDeleter ? Charges().DeleterOf(value) : deleter);
        },
        opts);
  }
  void EraseUnRefEntries() override { target_->EraseUnRefEntries(); }
  std::string GetPrintableOptions() const override { return target_->GetPrintableOptions(); }
  bool IsReady(Handle* handle) override { return target_->IsReady(handle); }
  void Wait(Handle* handle) override { target_->Wait(handle); }
  void WaitAll(std::vector<Handle*>& handles) override { target_->WaitAll(handles); }

 private:
  // Charges the entry to this thread's account (there is one).
  static void Register(const Slice& key, void* value, size_t charge, DeleterFn deleter) {
    const std::shared_ptr<CacheAccount>& account = *current_account;
    account->charge.fetch_add(static_cast<int64_t>(charge), std::memory_order_relaxed);
    account->inserted_bytes.fetch_add(charge, std::memory_order_relaxed);
    Charges().Put(value, Charged{key.ToString(), deleter, account, charge});
  }
  static void Unregister(const Slice& key, void* value) {
    Charged c;
    if (Charges().Take(key, value, &c)) {
      c.account->charge.fetch_sub(static_cast<int64_t>(c.charge), std::memory_order_relaxed);
      c.account->inserted_bytes.fetch_sub(c.charge, std::memory_order_relaxed);
    }
  }
  static Handle* Count(Handle* h) {
    if (CacheAccount* account = CurrentAccount()) {
      (h != nullptr ? account->hits : account->misses).fetch_add(1, std::memory_order_relaxed);
    }
    return h;
  }

  const std::shared_ptr<Cache> target_;
};

}  // namespace

CacheAccountScope::CacheAccountScope(const std::shared_ptr<CacheAccount>& account) : previous_(current_account) {
  current_account = account ? &account : nullptr;
}

CacheAccountScope::~CacheAccountScope() { current_account = previous_; }

std::shared_ptr<rocksdb::Cache> NewBlockCache(size_t capacity_bytes) {
  constexpr size_t kMinShardBytes = size_t{4} << 20;
  int shard_bits = 0;
  while (shard_bits < 6 && (capacity_bytes >> (shard_bits + 1)) >= kMinShardBytes) ++shard_bits;
  return rocksdb::NewLRUCache(capacity_bytes, shard_bits);
}

std::shared_ptr<rocksdb::Cache> NewChargedCache(std::shared_ptr<rocksdb::Cache> target) {
  return std::make_shared<ChargedCache>(std::move(target));
}

}  // namespace tenantkv::engine
