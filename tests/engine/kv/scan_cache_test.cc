// List scans and the shared block cache: by default a scan reads around the
// cache, so a tenant's large scan cannot evict another tenant's hot blocks;
// EngineOptions::scan_fill_cache (--scan-fill-cache) puts its blocks in.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "crypto/random.h"
#include "tests/testing/test_util.h"

namespace tenantkv::engine::testutil {
namespace {

constexpr int kValues = 3000;
constexpr size_t kValueBytes = 1024;  // about 3 MiB on disk, in an 8 MiB cache

// The block cache's growth from scanning all of a tenant's values once,
// with its data flushed to SST files and the engine reopened (a cold cache).
int64_t CacheGrowthOfAScan(bool fill) {
  EngineHarness h;
  h.options().scan_fill_cache = fill;
  if (!h.Open()) return -1;
  EXPECT_TRUE(h->CreateTenant("acme", "standard").ok());
  for (int i = 0; i < kValues; ++i) {
    auto value = crypto::RandomHex(kValueBytes / 2);
    EXPECT_TRUE(value.ok());
    char key[16];
    std::snprintf(key, sizeof(key), "k%05d", i);
    EXPECT_TRUE(h.Store("acme").Put(key, *value, {}).ok());
  }
  EXPECT_TRUE(h->Flush().ok());
  if (!h.Open()) return -1;
  const int64_t before = static_cast<int64_t>(h->storage_stats().block_cache_usage_bytes);
  ListRequest req;
  req.limit = 1000;
  req.with_values = true;
  size_t seen = 0;
  for (;;) {
    auto page = h.Store("acme").List(req);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (!page.ok()) return -1;
    seen += page->items.size();
    if (!page->next) break;
    req.start_after = page->next;
  }
  EXPECT_EQ(seen, static_cast<size_t>(kValues));
  return static_cast<int64_t>(h->storage_stats().block_cache_usage_bytes) - before;
}

TEST(ScanCache, AScanReadsAroundTheBlockCacheUnlessToldToFillIt) {
  const int64_t around = CacheGrowthOfAScan(false);
  const int64_t filled = CacheGrowthOfAScan(true);
  const int64_t data = int64_t{kValues} * kValueBytes;
  RecordProperty("cache_growth_around", std::to_string(around));
  RecordProperty("cache_growth_filled", std::to_string(filled));
  // Index and filter blocks may be cached either way; data blocks only when filling.
  EXPECT_LT(around, data / 4) << "around " << around << ", filled " << filled;
  EXPECT_GT(filled, data / 2) << "around " << around << ", filled " << filled;
}

}  // namespace
}  // namespace tenantkv::engine::testutil
