// The block cache that the tenants share, with what each of them has in it.
//
// Every tenant's reads go through one RocksDB block cache. NewChargedCache
// wraps it: a block inserted while a CacheAccountScope is active on the
// inserting thread is charged to that scope's account until the cache lets
// it go (evicted, erased, or replaced), and every lookup on such a thread
// counts as the account's hit or miss. The server opens a scope around
// each tenant request, so /metrics can say how much of the cache each
// tenant holds now and how often its reads find their blocks there: a
// neighbour's scan evicting a tenant's hot blocks shows as that tenant's
// misses rising and its charge falling.
//
// A block read by one tenant and later hit by another stays charged to the
// first (pooled tenants share a column family, but never a block: a block
// holds keys of one prefix range, and tenants' ranges do not interleave,
// except at the seams). Inserts with no scope active (compaction, the
// memtable's reservations, background jobs) are not charged to anyone; the
// cache's total usage includes them.
//
// Each charged entry costs a record (its key, its own deleter, its account:
// about 150 bytes with the map's nodes) kept until the cache frees the
// entry, whose deleter the wrapper stands in for. Thread-safe.
#pragma once

#include <rocksdb/cache.h>

#include <atomic>
#include <cstdint>
#include <memory>

namespace tenantkv::engine {

struct CacheAccount {
  std::atomic<uint64_t> hits{0};            // lookups that found their block
  std::atomic<uint64_t> misses{0};          // lookups that did not
  std::atomic<uint64_t> inserted_bytes{0};  // charge of every block it brought in
  std::atomic<int64_t> charge{0};           // of those, what is in the cache now
};

// Charges this thread's block cache traffic to `account` while it lives;
// scopes nest (the innermost wins). `account` (the shared_ptr itself, not a
// copy) must outlive the scope; it may hold null: nobody charged.
class CacheAccountScope {
 public:
  explicit CacheAccountScope(const std::shared_ptr<CacheAccount>& account);
  ~CacheAccountScope();
  CacheAccountScope(const CacheAccountScope&) = delete;
  CacheAccountScope& operator=(const CacheAccountScope&) = delete;

 private:
  const std::shared_ptr<CacheAccount>* previous_;
};

// The LRU cache that the tables read through and the memtable budget
// reserves in, sharded no finer than 4 MiB a shard (at most 64 shards).
// The budget reserves in pinned 256 KiB pieces that land in whichever
// shard their key hashes to; RocksDB's default of 512 KiB shards lets two
// of them fill a shard, which then evicts every block that hashes there the
// moment its reader lets go, however hot (an 8 MiB cache with a dozen
// pieces typically has a few such dead shards). A 4 MiB shard takes 16.
std::shared_ptr<rocksdb::Cache> NewBlockCache(size_t capacity_bytes);

// `target` wrapped; give it to the tables (BlockBasedTableOptions), and
// `target` itself to anything that only reserves memory in it (the write
// buffer manager), so that those reservations are never charged.
std::shared_ptr<rocksdb::Cache> NewChargedCache(std::shared_ptr<rocksdb::Cache> target);

}  // namespace tenantkv::engine
