// The pooled placement tier: many tenants in one shared column family, each
// behind a prefix that is never its id and never reused; a delete destroys
// the keys, then range-deletes and compacts the prefix out of the files.
// (The store's behaviour in both tiers is cf_tenant_store_test.cc.)
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "crypto/random.h"
#include "engine/storage/storage.h"
#include "tests/testing/test_util.h"

namespace tenantkv::engine::testutil {
namespace {

std::string PlacementOf(EngineHarness& h, const std::string& id) {
  auto t = h->tenants().Get(id);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? (*t)->Info().placement : std::string();
}

// The .sst files under `dir` and their bytes.
std::vector<std::pair<std::string, std::string>> TableFiles(const std::string& dir) {
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& [path, bytes] : ReadAllFiles(dir)) {
    if (path.size() > 4 && path.compare(path.size() - 4, 4, ".sst") == 0) out.emplace_back(path, std::move(bytes));
  }
  return out;
}

TEST(PooledTier, TenantsOfTheFreePlanArePooledAndTheOthersGetAColumnFamily) {
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->CreateTenant("trial", "free").ok());
  ASSERT_TRUE(h->CreateTenant("paying", "standard").ok());
  ASSERT_TRUE(h->CreateTenant("big", "premium").ok());
  ASSERT_TRUE(h->CreateTenant("chosen", "premium", Tier::kPooled).ok());
  ASSERT_TRUE(h->CreateTenant("trial-cf", "free", Tier::kColumnFamily).ok());
  EXPECT_EQ(TierOfPlacement(PlacementOf(h, "trial")), Tier::kPooled);
  EXPECT_EQ(TierOfPlacement(PlacementOf(h, "paying")), Tier::kColumnFamily);
  EXPECT_EQ(TierOfPlacement(PlacementOf(h, "big")), Tier::kColumnFamily);
  EXPECT_EQ(TierOfPlacement(PlacementOf(h, "chosen")), Tier::kPooled);
  EXPECT_EQ(TierOfPlacement(PlacementOf(h, "trial-cf")), Tier::kColumnFamily);
  EXPECT_EQ(h->tenants().DefaultTier("free"), Tier::kPooled);
  EXPECT_EQ(h->tenants().DefaultTier("standard"), Tier::kColumnFamily);
  EXPECT_EQ(ParseTier("shared").status().reason(), "unknown_tier");
  EXPECT_EQ(*ParseTier("dedicated"), Tier::kDedicated);
  EXPECT_EQ(*ParseTier("pooled"), Tier::kPooled);
  EXPECT_EQ(*ParseTier("column_family"), Tier::kColumnFamily);
  // A pooled tenant's quota path is the same as any tenant's.
  EXPECT_TRUE(h->quotas().Current("trial").ok());
}

TEST(PooledTier, PrefixesAreNeverTheIdAndNeverReusedAcrossRestartsAndDeletes) {
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->CreateTenant("a", "", Tier::kPooled).ok());
  ASSERT_TRUE(h->CreateTenant("b", "", Tier::kPooled).ok());
  const uint64_t a = CounterOf(PlacementOf(h, "a"));
  const uint64_t b = CounterOf(PlacementOf(h, "b"));
  EXPECT_NE(a, b);
  EXPECT_EQ(PlacementOf(h, "a").find("/a"), std::string::npos);
  // Consecutive prefixes spread over the shared column families.
  EXPECT_NE(PlacementOf(h, "a").substr(0, PlacementOf(h, "a").rfind('/')),
            PlacementOf(h, "b").substr(0, PlacementOf(h, "b").rfind('/')));

  std::set<uint64_t> seen = {a, b};
  ASSERT_TRUE(h.Open());  // a restart: the rest of the reserved block is skipped
  ASSERT_TRUE(h->DeleteTenant("b").ok());
  ASSERT_TRUE(h->CreateTenant("b", "", Tier::kPooled).ok());
  ASSERT_TRUE(h->CreateTenant("c", "", Tier::kPooled).ok());
  for (const char* id : {"b", "c"}) {
    const uint64_t n = CounterOf(PlacementOf(h, id));
    EXPECT_GT(n, b) << id;
    EXPECT_TRUE(seen.insert(n).second) << id << " got a prefix handed out before";
  }
  EXPECT_EQ(CounterOf(PlacementOf(h, "a")), a);
}

TEST(PooledTier, DeleteShredsThePrefixFromTheTableFilesAndKeepsTheNeighbour) {
  EngineHarness h;
  h.options().pooled_column_families = 1;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->CreateTenant("victim", "", Tier::kPooled).ok());
  ASSERT_TRUE(h->CreateTenant("neighbour", "", Tier::kPooled).ok());
  const std::string victim_prefix = PrefixBytes(CounterOf(PlacementOf(h, "victim")));

  // Unique random tokens in the victim's keys: each appears in a table file
  // as it is (a key's unshared suffix). The tokens are raw random bytes, not
  // hex: the tenant column families are compressed, and a 4-byte piece of a
  // hex token often matches an earlier one in the block, which the
  // compressor then stores as a back-reference instead of the bytes.
  std::vector<std::string> tokens;
  for (int i = 0; i < 40; ++i) {
    std::string token(16, '\0');
    ASSERT_TRUE(crypto::RandomBytes(reinterpret_cast<uint8_t*>(token.data()), token.size()).ok());
    tokens.push_back(token);
    ASSERT_TRUE(h.Store("victim").Put("k" + std::to_string(i) + "-" + token, "secret-" + token, {}).ok());
    ASSERT_TRUE(h.Store("neighbour").Put("k" + std::to_string(i), "mine-" + std::to_string(i), {}).ok());
  }
  // Pieces of the victim's sealed values, as stored.
  std::vector<std::string> sealed_pieces;
  {
    auto snap = h.Store("victim").Snapshot();
    ASSERT_TRUE(snap.ok());
    for (; (*snap)->Valid(); (*snap)->Next()) {
      EXPECT_EQ((*snap)->key()[0], 'k') << "a snapshot gives user keys, without the prefix";
      const std::string_view sealed = (*snap)->sealed();
      ASSERT_GT(sealed.size(), 40u);
      sealed_pieces.emplace_back(sealed.substr(sealed.size() - 24, 16));
    }
    EXPECT_TRUE((*snap)->status().ok());
    EXPECT_EQ(sealed_pieces.size(), tokens.size());
  }  // released: the compaction below may drop what it saw
  ASSERT_TRUE(h->Flush().ok());
  {
    // Control: the scan finds them while they are there. Random bytes can
    // still meet an earlier 4-byte match by chance (about once in a thousand
    // runs for any of them), so a couple may hide; most must be seen.
    const auto files = TableFiles(h.db_dir());
    size_t seen_tokens = 0, seen_pieces = 0;
    for (const auto& t : tokens) seen_tokens += FilesContaining(files, t).empty() ? 0 : 1;
    for (const auto& p : sealed_pieces) seen_pieces += FilesContaining(files, p).empty() ? 0 : 1;
    EXPECT_GE(seen_tokens, tokens.size() - 2);
    EXPECT_GE(seen_pieces, sealed_pieces.size() - 2);
  }

  ASSERT_TRUE(h->DeleteTenant("victim").ok());
  {
    const auto files = TableFiles(h.db_dir());
    for (size_t i = 0; i < tokens.size(); ++i) {
      EXPECT_TRUE(FilesContaining(files, tokens[i]).empty()) << "the token of key " << i << " survived the delete";
    }
    for (const auto& p : sealed_pieces) EXPECT_TRUE(FilesContaining(files, p).empty()) << "a sealed value survived";
  }
  for (int i = 0; i < 40; ++i) {
    auto v = h.Store("neighbour").Get("k" + std::to_string(i));
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    EXPECT_EQ(v->value, "mine-" + std::to_string(i));
  }
  EXPECT_EQ(h.Store("neighbour").GetUsage().keys, 40);
  h.Close();
  EXPECT_EQ(EntriesUnder(h.db_dir(), "p.0", victim_prefix), 0u);
  EXPECT_EQ(EntriesUnder(h.db_dir(), "p.0", ""), 40u);  // the neighbour's, nothing else
}

TEST(PooledTier, AnInterruptedDeleteEmptiesThePrefixAtTheNextStart) {
  EngineHarness h;
  h.options().pooled_column_families = 1;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->CreateTenant("victim", "", Tier::kPooled).ok());
  ASSERT_TRUE(h->CreateTenant("neighbour", "", Tier::kPooled).ok());
  const std::string victim_prefix = PrefixBytes(CounterOf(PlacementOf(h, "victim")));
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(h.Store("victim").Put("k" + std::to_string(i), "v", {}).ok());
    ASSERT_TRUE(h.Store("neighbour").Put("k" + std::to_string(i), "n", {}).ok());
  }
  ASSERT_TRUE(h->Flush().ok());
  h->tenants().InjectFaultForTest(TenantRegistry::FaultForTest::kShredKeys);
  ASSERT_FALSE(h->DeleteTenant("victim").ok());
  EXPECT_TRUE(h->tenants().PendingDelete("victim").ok());
  h.Close();
  EXPECT_EQ(EntriesUnder(h.db_dir(), "p.0", victim_prefix), 20u);  // control: not shredded yet

  ASSERT_TRUE(h.Open());
  EXPECT_FALSE(h->tenants().PendingDelete("victim").ok());
  EXPECT_EQ(h->tenants().Get("victim").status().code(), Code::kNotFound);
  EXPECT_EQ(h.Store("neighbour").GetUsage().keys, 20);
  EXPECT_EQ(h.Store("neighbour").Get("k7")->value, "n");
  h.Close();
  EXPECT_EQ(EntriesUnder(h.db_dir(), "p.0", victim_prefix), 0u);
  EXPECT_EQ(EntriesUnder(h.db_dir(), "p.0", ""), 20u);
}

TEST(PooledTier, ReencryptionAfterARotationStaysInTheTenantsRange) {
  EngineHarness h;
  h.options().pooled_column_families = 1;
  h.options().background_jobs = false;
  ASSERT_TRUE(h.Open());
  for (const char* id : {"before", "acme", "after"}) ASSERT_TRUE(h->CreateTenant(id, "", Tier::kPooled).ok());
  std::map<std::string, std::string> want;
  for (int i = 0; i < 30; ++i) {
    const std::string k = "k" + std::to_string(i);
    want[k] = "v" + std::to_string(i);
    ASSERT_TRUE(h.Store("acme").Put(k, want[k], {}).ok());
    ASSERT_TRUE(h.Store("before").Put(k, "b", {}).ok());
    ASSERT_TRUE(h.Store("after").Put(k, "a", {}).ok());
  }
  ASSERT_TRUE(h->key_lifecycle().Rotate("acme").ok());
  ASSERT_GT(DrainReencryption(h.engine(), "acme"), 0);
  auto status = h->key_lifecycle().Describe("acme");
  ASSERT_TRUE(status.ok());
  for (const auto& [k, v] : want) EXPECT_EQ(h.Store("acme").Get(k)->value, v) << k;
  // The neighbours were neither resealed nor counted.
  EXPECT_EQ(h.Store("before").Get("k3")->value, "b");
  EXPECT_EQ(h.Store("after").Get("k3")->value, "a");
  EXPECT_EQ(h.Store("before").GetUsage().keys, 30);
  EXPECT_EQ(h.Store("acme").GetUsage().keys, 30);
}

// An export of a pooled tenant imports as a column_family tenant, or as a
// dedicated one (its own database), across a restart; never as pooled.
TEST(PooledTier, AnExportOfAPooledTenantImportsIntoTheOtherTiers) {
  EngineHarness h;
  h.options().pooled_column_families = 1;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->CreateTenant("before", "", Tier::kPooled).ok());
  ASSERT_TRUE(h->CreateTenant("acme", "", Tier::kPooled).ok());
  ASSERT_TRUE(h->CreateTenant("after", "", Tier::kPooled).ok());
  for (int i = 0; i < 25; ++i) {
    const std::string k = "k" + std::to_string(i);
    ASSERT_TRUE(h.Store("acme").Put(k, "acme-" + k, {}).ok());
    ASSERT_TRUE(h.Store("before").Put(k, "before", {}).ok());
    ASSERT_TRUE(h.Store("after").Put(k, "after", {}).ok());
  }
  auto exported = h->ExportTenant("acme", h.temp().Sub("export"));
  ASSERT_TRUE(exported.ok()) << exported.status().ToString();
  EXPECT_EQ(exported->entries.keys, 25);
  ImportRequest req;
  req.dir = h.temp().Sub("export");
  req.id = "acme-pooled";
  req.tier = Tier::kPooled;
  EXPECT_EQ(h->ImportTenant(req).status().reason(), "tier_not_supported");
  EXPECT_FALSE(h->tenants().Get("acme-pooled").ok()) << "a refused import creates nothing";
  const std::map<std::string, Tier> copies = {{"acme-copy", Tier::kColumnFamily}, {"acme-own", Tier::kDedicated}};
  for (const auto& [id, tier] : copies) {
    req.id = id;
    req.tier = tier;
    ASSERT_TRUE(h->ImportTenant(req).ok()) << id;
    EXPECT_EQ(TierOfPlacement(PlacementOf(h, id)), tier);
    EXPECT_EQ(h.Store(id).GetUsage().keys, 25);
  }
  h.Close();
  ASSERT_TRUE(h.Open());
  for (const auto& [id, tier] : copies) {
    for (int i = 0; i < 25; ++i) {
      const std::string k = "k" + std::to_string(i);
      auto v = h.Store(id).Get(k);
      ASSERT_TRUE(v.ok()) << id << " " << k << ": " << v.status().ToString();
      EXPECT_EQ(v->value, "acme-" + k);
    }
    EXPECT_EQ(h.Store(id).GetUsage().keys, 25) << id;
  }
  EXPECT_EQ(h.Store("after").Get("k1")->value, "after");
}

// A pooled tenant's data keys are unwrapped on first use, not at start (a
// column_family tenant's still are); a rotated tenant's older version comes
// in only when a value sealed under it is read.
TEST(PooledTier, DataKeysOfPooledTenantsAreUnwrappedOnFirstUse) {
  EngineHarness h;
  h.options().background_jobs = false;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->CreateTenant("pooled", "", Tier::kPooled).ok());
  ASSERT_TRUE(h->CreateTenant("own", "", Tier::kColumnFamily).ok());
  ASSERT_TRUE(h.Store("pooled").Put("old", "sealed under 1", {}).ok());
  ASSERT_TRUE(h->key_lifecycle().Rotate("pooled").ok());
  ASSERT_TRUE(h.Store("pooled").Put("new", "sealed under 2", {}).ok());
  ASSERT_TRUE(h.Open());
  auto pooled = h->tenants().Get("pooled");
  auto own = h->tenants().Get("own");
  ASSERT_TRUE(pooled.ok() && own.ok());
  EXPECT_EQ((*pooled)->keyring().Loaded(), 0u);
  EXPECT_EQ((*own)->keyring().Loaded(), 1u);
  EXPECT_EQ(h.Store("pooled").Get("new")->value, "sealed under 2");
  EXPECT_EQ((*pooled)->keyring().Loaded(), 1u);
  EXPECT_EQ(h.Store("pooled").Get("old")->value, "sealed under 1");
  EXPECT_EQ((*pooled)->keyring().Loaded(), 2u);
  ASSERT_TRUE(h.Store("pooled").Put("newer", "v", {}).ok());
  EXPECT_EQ(h->key_lifecycle().Describe("pooled")->versions.back().version, 2u);
}

}  // namespace
}  // namespace tenantkv::engine::testutil
