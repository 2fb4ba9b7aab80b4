// The shared block cache charges each tenant for the blocks its reads bring
// in, until the cache lets them go, and counts its hits and misses
// (engine/storage/charged_cache.h).
#include "engine/storage/charged_cache.h"

#include <gtest/gtest.h>
#include <rocksdb/cache.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "crypto/random.h"
#include "tests/testing/test_util.h"

namespace tenantkv::engine::testutil {
namespace {

void NoDelete(const rocksdb::Slice&, void*) {}
int deleted = 0;
void CountDelete(const rocksdb::Slice&, void* value) {
  ++deleted;
  delete static_cast<int*>(value);
}

TEST(ChargedCache, ChargesTheScopesAccountUntilTheEntryLeaves) {
  auto lru = rocksdb::NewLRUCache(1 << 20, 0);
  auto cache = NewChargedCache(lru);
  auto a = std::make_shared<CacheAccount>();
  auto b = std::make_shared<CacheAccount>();
  deleted = 0;
  {
    const CacheAccountScope scope(a);
    ASSERT_TRUE(cache->Insert("k1", new int(1), 1000, &CountDelete).ok());
    EXPECT_EQ(cache->Lookup("nope"), nullptr);
    rocksdb::Cache::Handle* h = cache->Lookup("k1");
    ASSERT_NE(h, nullptr);
    EXPECT_EQ(*static_cast<int*>(cache->Value(h)), 1);
    // RocksDB sees the entry's own deleter, not the wrapper's.
    EXPECT_EQ(cache->GetDeleter(h), &CountDelete);
    cache->Release(h);
    {
      const CacheAccountScope inner(b);  // the innermost scope wins
      ASSERT_TRUE(cache->Insert("k2", new int(2), 3000, &CountDelete).ok());
    }
  }
  EXPECT_EQ(a->charge.load(), 1000);
  EXPECT_EQ(a->inserted_bytes.load(), 1000u);
  EXPECT_EQ(a->hits.load(), 1u);
  EXPECT_EQ(a->misses.load(), 1u);
  EXPECT_EQ(b->charge.load(), 3000);
  // Outside any scope: nobody is charged or counted.
  ASSERT_TRUE(cache->Insert("k3", new int(3), 500, &CountDelete).ok());
  rocksdb::Cache::Handle* h = cache->Lookup("k3");
  ASSERT_NE(h, nullptr);
  cache->Release(h);
  EXPECT_EQ(a->charge.load() + b->charge.load(), 4000);
  EXPECT_EQ(a->hits.load(), 1u);
  int seen = 0;
  cache->ApplyToAllEntries(
      [&](const rocksdb::Slice&, void*, size_t, rocksdb::Cache::DeleterFn d) {
        EXPECT_EQ(d, &CountDelete);
        ++seen;
      },
      {});
  EXPECT_EQ(seen, 3);

  // Replaced under the same key: the old entry's charge leaves with it.
  {
    const CacheAccountScope scope(b);
    ASSERT_TRUE(cache->Insert("k1", new int(4), 200, &CountDelete).ok());
  }
  EXPECT_EQ(deleted, 1);
  EXPECT_EQ(a->charge.load(), 0);
  EXPECT_EQ(b->charge.load(), 3200);
  // Erased, and evicted by a smaller capacity: the deleters run, the charges go.
  cache->Erase("k2");
  EXPECT_EQ(b->charge.load(), 200);
  cache->SetCapacity(0);
  EXPECT_EQ(b->charge.load(), 0);
  EXPECT_EQ(deleted, 4);
  EXPECT_EQ(lru->GetUsage(), 0u);
}

TEST(ChargedCache, AFailedInsertWithAHandleLeavesTheValueToItsCallerAndChargesNothing) {
  auto lru = rocksdb::NewLRUCache(1000, 0, /*strict_capacity_limit=*/true);
  auto cache = NewChargedCache(lru);
  auto a = std::make_shared<CacheAccount>();
  const CacheAccountScope scope(a);
  int value = 7;
  rocksdb::Cache::Handle* h = nullptr;
  const rocksdb::Status s = cache->Insert("big", &value, 5000, &NoDelete, &h);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(h, nullptr);
  EXPECT_EQ(a->charge.load(), 0);
  EXPECT_EQ(a->inserted_bytes.load(), 0u);
  // Without a handle the cache frees it itself (as if evicted at once),
  // through the wrapper.
  deleted = 0;
  (void)cache->Insert("big", new int(8), 5000, &CountDelete);
  EXPECT_EQ(deleted, 1);
  EXPECT_EQ(a->charge.load(), 0);
}

// The memtable budget reserves in the cache in pinned 256 KiB pieces. With
// RocksDB's default sharding (512 KiB shards for a small cache), 20 of them
// in 16 shards put two in one shard at least, and every block hashing there
// is evicted as soon as it is inserted; NewBlockCache's 4 MiB shards keep
// them all.
TEST(ChargedCache, TheBudgetsPinnedReservationsLeaveNoShardUnableToKeepABlock) {
  auto survivors = [](const std::shared_ptr<rocksdb::Cache>& cache) {
    std::vector<rocksdb::Cache::Handle*> pinned;
    for (int i = 0; i < 20; ++i) {
      rocksdb::Cache::Handle* h = nullptr;
      EXPECT_TRUE(cache->Insert("reservation" + std::to_string(i), nullptr, 256 << 10, &NoDelete, &h).ok());
      pinned.push_back(h);
    }
    for (int i = 0; i < 400; ++i) {
      EXPECT_TRUE(cache->Insert("block" + std::to_string(i), new int(i), 1024, &CountDelete).ok());
    }
    int found = 0;
    for (int i = 0; i < 400; ++i) {
      if (rocksdb::Cache::Handle* h = cache->Lookup("block" + std::to_string(i))) {
        ++found;
        cache->Release(h);
      }
    }
    for (rocksdb::Cache::Handle* h : pinned) cache->Release(h);
    return found;
  };
  EXPECT_LT(survivors(rocksdb::NewLRUCache(8 << 20)), 400);  // the control: RocksDB's default
  EXPECT_EQ(survivors(NewBlockCache(8 << 20)), 400);
  EXPECT_EQ(survivors(NewBlockCache(64 << 20)), 400);
}

// Through the engine: each tenant's reads charge its own account, and a
// scan that fills the cache evicts the other tenant's blocks, which shows
// as that tenant's charge falling and its misses rising.
TEST(ChargedCache, EachTenantsReadsChargeItsOwnAccount) {
  EngineHarness h;
  h.options().scan_fill_cache = true;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->CreateTenant("hot", "standard").ok());
  ASSERT_TRUE(h->CreateTenant("scan", "standard").ok());
  auto put = [&](const std::string& tenant, int n, size_t bytes) {
    for (int i = 0; i < n; ++i) {
      auto value = crypto::RandomHex(bytes / 2);
      ASSERT_TRUE(value.ok());
      char key[16];
      std::snprintf(key, sizeof(key), "k%05d", i);
      ASSERT_TRUE(h.Store(tenant).Put(key, *value, {}).ok());
    }
  };
  put("hot", 200, 1024);     // 200 KiB
  put("scan", 12000, 1024);  // 12 MiB, past the 8 MiB cache
  ASSERT_TRUE(h->Flush().ok());
  h.Close();
  {
    // Every column family compacted to one level, so that no compaction
    // starts after the reopen: its table opens would put index and filter
    // blocks in the cache, evicting the hot tenant's blocks at a moment
    // the test does not choose.
    RawDb raw(h.db_dir());
    ASSERT_TRUE(raw.ok());
    rocksdb::CompactRangeOptions all;
    all.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    for (const auto& name : raw.names()) {
      ASSERT_TRUE(raw.db()->CompactRange(all, raw.Cf(name), nullptr, nullptr).ok()) << name;
    }
  }
  ASSERT_TRUE(h.Open());  // a cold cache
  auto hot = h->tenants().Get("hot");
  auto scan = h->tenants().Get("scan");
  ASSERT_TRUE(hot.ok() && scan.ok());
  const CacheAccount& hot_account = *(*hot)->cache_account();
  const CacheAccount& scan_account = *(*scan)->cache_account();
  auto read_hot = [&] {
    const CacheAccountScope scope((*hot)->cache_account());
    for (int i = 0; i < 200; ++i) {
      char key[16];
      std::snprintf(key, sizeof(key), "k%05d", i);
      ASSERT_TRUE(h.Store("hot").Get(key).ok());
    }
  };
  read_hot();
  const uint64_t cold_misses = hot_account.misses.load();
  const int64_t hot_charge = hot_account.charge.load();
  EXPECT_GT(cold_misses, 0u);
  EXPECT_GT(hot_charge, 100 << 10);  // its data blocks, at least
  EXPECT_EQ(scan_account.charge.load(), 0);
  // Warm: its lookups are counted, mostly as hits.
  const uint64_t hits = hot_account.hits.load();
  read_hot();
  const uint64_t warm_hits = hot_account.hits.load() - hits;
  const uint64_t warm_misses = hot_account.misses.load() - cold_misses;
  EXPECT_GE(warm_hits + warm_misses, 200u);  // one lookup per Get at least
  EXPECT_GT(warm_hits, warm_misses);

  {
    const CacheAccountScope scope((*scan)->cache_account());
    ListRequest req;
    req.limit = 1000;
    req.with_values = true;
    for (;;) {
      auto page = h.Store("scan").List(req);
      ASSERT_TRUE(page.ok()) << page.status().ToString();
      if (!page->next) break;
      req.start_after = page->next;
    }
  }
  EXPECT_GT(scan_account.charge.load(), 1 << 20);
  EXPECT_GT(scan_account.misses.load(), 1000u);  // 12 MiB of 4 KiB blocks, read in
  EXPECT_LE(hot_account.charge.load() + scan_account.charge.load(),
            static_cast<int64_t>(h->storage_stats().block_cache_usage_bytes));
  EXPECT_GE(hot_account.charge.load(), 0);
  EXPECT_LT(hot_account.charge.load(), 1 << 20);  // its 200 KiB and their index: none of the scan's 12 MiB
}

// A neighbour's blocks evicting an account's show as its charge falling.
TEST(ChargedCache, ANeighboursInsertsEvictingAnAccountsBlocksLowerItsCharge) {
  auto cache = NewChargedCache(rocksdb::NewLRUCache(64 << 10, 0));
  auto hot = std::make_shared<CacheAccount>();
  auto scan = std::make_shared<CacheAccount>();
  deleted = 0;
  {
    const CacheAccountScope scope(hot);
    for (int i = 0; i < 8; ++i) ASSERT_TRUE(cache->Insert("h" + std::to_string(i), new int(i), 4096, &CountDelete).ok());
  }
  EXPECT_EQ(hot->charge.load(), 8 * 4096);
  {
    const CacheAccountScope scope(scan);
    for (int i = 0; i < 64; ++i) ASSERT_TRUE(cache->Insert("s" + std::to_string(i), new int(i), 4096, &CountDelete).ok());
  }
  EXPECT_EQ(hot->charge.load(), 0);  // the oldest, never hit: evicted first
  EXPECT_GT(scan->charge.load(), 0);
  EXPECT_LE(scan->charge.load(), 64 << 10);
  EXPECT_EQ(scan->inserted_bytes.load(), 64u * 4096);
  EXPECT_GE(deleted, 8);
}

}  // namespace
}  // namespace tenantkv::engine::testutil
