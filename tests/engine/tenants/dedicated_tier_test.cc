// The dedicated tier (tenant_placement.h): a tenant in a RocksDB instance of
// its own, in a directory of its own. Its data and its counters (usage,
// per-version value counts) are in that database only; it survives a
// restart; a delete removes the directory after destroying the keys; an
// unowned directory (a crash mid-create or mid-move) is removed at start;
// key rotation counts the values where they are; node backups carry the
// dedicated databases. (An export of a pooled tenant imported as dedicated:
// pooled_tier_test.cc.)
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <thread>

#include "engine/storage/system_keys.h"
#include "engine/tenants/tenant_directory.h"
#include "tests/testing/stop_and_join.h"
#include "tests/testing/test_util.h"

namespace tenantkv::engine::testutil {
namespace {

namespace fs = std::filesystem;

std::string DedicatedRoot(const EngineHarness& h) { return h.data_dir() + "/dedicated"; }

// "ded:<16 hex>" -> its directory.
std::string DirOf(const EngineHarness& h, const std::string& place) {
  return DedicatedRoot(h) + "/" + place.substr(place.find(':') + 1);
}

// Waits (bounded) for `path` to be gone: a released database closes, and
// its directory goes, when its last user lets go of it.
bool GoneSoon(const std::string& path) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (fs::exists(path) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return !fs::exists(path);
}

// Whether the node's system column family holds `key` (engine closed).
bool NodeHasSystemKey(const EngineHarness& h, const std::string& key) {
  RawDb raw(h.db_dir());
  std::string v;
  return raw.db()->Get(rocksdb::ReadOptions(), raw.SystemCf(), key, &v).ok();
}

TEST(DedicatedTier, ATenantGetsADatabaseOfItsOwnThatHoldsItsDataAndCounters) {
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->CreateTenant("vault", "", Tier::kDedicated).ok());
  ASSERT_TRUE(h->CreateTenant("neighbour", "", Tier::kColumnFamily).ok());
  const std::string place = h.TenantOf("vault")->Info().placement;
  EXPECT_EQ(TierOfPlacement(place), Tier::kDedicated);
  EXPECT_EQ(place.rfind("ded:", 0), 0u);
  EXPECT_EQ(place.find("vault"), std::string::npos) << "the directory is never named by the id";
  const std::string dir = DirOf(h, place);
  ASSERT_TRUE(fs::exists(dir + "/CURRENT")) << dir;
  EXPECT_EQ(fs::status(DedicatedRoot(h)).permissions() & (fs::perms::group_all | fs::perms::others_all),
            fs::perms::none)
      << "the tier's directory is made 0700";
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(h.Store("vault").Put("k" + std::to_string(i), "secret-" + std::to_string(i), {}).ok());
    ASSERT_TRUE(h.Store("neighbour").Put("k" + std::to_string(i), "other", {}).ok());
  }
  ASSERT_TRUE(h.Store("vault").Delete("k0", {}).ok());
  EXPECT_EQ(h.Store("vault").GetUsage().keys, 39);
  EXPECT_EQ(h.Store("neighbour").Get("k0")->value, "other");
  h.Close();
  // Its counters are in its own database; the node's DB has only a copy of
  // its usage, written at the clean stop (for a lazy start-up).
  EXPECT_FALSE(NodeHasSystemKey(h, ValuesCountKey("vault", 1)));
  EXPECT_TRUE(NodeHasSystemKey(h, ValuesCountKey("neighbour", 1)));
  {
    RawDb own(dir);
    std::string v;
    EXPECT_TRUE(own.db()->Get(rocksdb::ReadOptions(), own.SystemCf(),
                              TenantDirectory::UsageKey("vault"), &v).ok());
    // Its values are in its database only, sealed.
    ASSERT_NE(own.CfStartingWith("t.data"), nullptr);
    EXPECT_TRUE(own.db()->Get(rocksdb::ReadOptions(), own.CfStartingWith("t.data"), "k5", &v).ok());
    EXPECT_EQ(v.find("secret-5"), std::string::npos) << "sealed at rest";
  }
  // After a restart: the same data, the same usage.
  ASSERT_TRUE(h.Open());
  EXPECT_EQ(h.Store("vault").GetUsage().keys, 39);
  EXPECT_EQ(h.Store("vault").Get("k5")->value, "secret-5");
  EXPECT_EQ(h.Store("vault").Get("k0").status().reason(), "not_found");
  auto page = h.Store("vault").List(ListRequest{});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->items.size(), 39u);
}

// After a clean stop, a dedicated tenant's database is opened on its first
// use, and its usage is known before; without the usage the clean stop
// leaves (a crash while it was open), it is opened at start.
TEST(DedicatedTier, ItsDatabaseOpensOnFirstUseAfterACleanStopAndAtStartAfterACrash) {
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->CreateTenant("idle", "", Tier::kDedicated).ok());
  ASSERT_TRUE(h->CreateTenant("busy", "", Tier::kDedicated).ok());
  for (int i = 0; i < 12; ++i) {
    ASSERT_TRUE(h.Store("idle").Put("k" + std::to_string(i), "0123456789", {}).ok());
    ASSERT_TRUE(h.Store("busy").Put("k" + std::to_string(i), "v", {}).ok());
  }
  h.Close();
  EXPECT_TRUE(NodeHasSystemKey(h, TenantDirectory::UsageKey("idle")));
  ASSERT_TRUE(h.Open());
  EXPECT_FALSE(h.TenantOf("idle")->movable_store().opened());
  EXPECT_FALSE(h.TenantOf("busy")->movable_store().opened());
  EXPECT_EQ(h.Store("idle").GetUsage().keys, 12) << "known unopened";
  EXPECT_EQ(h.Store("idle").GetUsage().logical_bytes, 10 * 2 + 2 * 3 + 12 * 10);  // keys k0..k11, values of 10
  ASSERT_TRUE(h.Store("busy").Put("more", "v", {}).ok());
  EXPECT_TRUE(h.TenantOf("busy")->movable_store().opened());
  EXPECT_FALSE(h.TenantOf("idle")->movable_store().opened()) << "a neighbour's use opens nothing else";
  h.Close();
  // As a crash while its database was open leaves it: no usage copy.
  {
    RawDb raw(h.db_dir());
    ASSERT_TRUE(raw.db()->Delete(rocksdb::WriteOptions(), raw.SystemCf(), TenantDirectory::UsageKey("busy")).ok());
  }
  ASSERT_TRUE(h.Open());
  EXPECT_TRUE(h.TenantOf("busy")->movable_store().opened()) << "opened at start to read its exact usage";
  EXPECT_EQ(h.Store("busy").GetUsage().keys, 13);
  EXPECT_FALSE(h.TenantOf("idle")->movable_store().opened());
  EXPECT_EQ(h.Store("idle").Get("k3")->value, "0123456789");
  EXPECT_EQ(h.Store("idle").GetUsage().keys, 12);
}

TEST(DedicatedTier, DeleteDestroysTheKeysAndRemovesTheDirectory) {
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->CreateTenant("gone", "", Tier::kDedicated).ok());
  ASSERT_TRUE(h->CreateTenant("stays", "", Tier::kDedicated).ok());
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(h.Store("gone").Put("k" + std::to_string(i), "v", {}).ok());
    ASSERT_TRUE(h.Store("stays").Put("k" + std::to_string(i), "mine", {}).ok());
  }
  const std::string dir = DirOf(h, h.TenantOf("gone")->Info().placement);
  const std::string kept = DirOf(h, h.TenantOf("stays")->Info().placement);
  ASSERT_TRUE(h->DeleteTenant("gone").ok());
  EXPECT_TRUE(GoneSoon(dir)) << dir << " is still there";
  EXPECT_TRUE(fs::exists(kept + "/CURRENT"));
  EXPECT_EQ(h.Store("stays").Get("k3")->value, "mine");
  // The id may be taken again, by a new database.
  ASSERT_TRUE(h->CreateTenant("gone", "", Tier::kDedicated).ok());
  EXPECT_NE(DirOf(h, h.TenantOf("gone")->Info().placement), dir) << "a directory name is never reused";
  EXPECT_EQ(h.Store("gone").Get("k3").status().reason(), "not_found");
}

TEST(DedicatedTier, AnUnownedDirectoryIsRemovedAtStart) {
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->CreateTenant("owner", "", Tier::kDedicated).ok());
  ASSERT_TRUE(h.Store("owner").Put("k", "v", {}).ok());
  const std::string owned = DirOf(h, h.TenantOf("owner")->Info().placement);
  h.Close();
  // As a crash between a database's creation and the record naming it leaves.
  const std::string stray = DedicatedRoot(h) + "/00000000000fffff";
  fs::copy(owned, stray, fs::copy_options::recursive);
  const std::string other = DedicatedRoot(h) + "/not-a-database";
  fs::create_directories(other);
  ASSERT_TRUE(h.Open());
  EXPECT_FALSE(fs::exists(stray)) << "nobody's database is removed";
  EXPECT_TRUE(fs::exists(other)) << "what is not a database's directory is left alone";
  EXPECT_EQ(h.Store("owner").Get("k")->value, "v");
}

TEST(DedicatedTier, ReencryptionCountsTheValuesInTheTenantsOwnDatabase) {
  EngineHarness h;
  h.options().background_jobs = false;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->CreateTenant("acme", "", Tier::kDedicated).ok());
  std::map<std::string, std::string> want;
  for (int i = 0; i < 30; ++i) {
    const std::string k = "k" + std::to_string(i);
    want[k] = "v" + std::to_string(i);
    ASSERT_TRUE(h.Store("acme").Put(k, want[k], {}).ok());
  }
  ASSERT_TRUE(h->key_lifecycle().Rotate("acme").ok());
  auto during = h->key_lifecycle().Describe("acme");
  ASSERT_TRUE(during.ok());
  ASSERT_EQ(during->versions.size(), 2u);
  EXPECT_EQ(during->versions[0].values, 30) << "counted where the values are";
  ASSERT_GT(DrainReencryption(h.engine(), "acme"), 0);
  auto after = h->key_lifecycle().Describe("acme");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->versions[0].state, "destroyed");
  EXPECT_EQ(after->versions[1].values, 30);
  for (const auto& [k, v] : want) EXPECT_EQ(h.Store("acme").Get(k)->value, v) << k;
}

// A node backup copies the dedicated databases, then the node's DB: while
// it runs, no tenant record may come to name a dedicated database. A move
// into the tier waits before its switch (writes go on meanwhile).
TEST(DedicatedTier, AMoveIntoTheTierWaitsForANodeBackupToEnd) {
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->CreateTenant("acme", "", Tier::kPooled).ok());
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(h.Store("acme").Put("k" + std::to_string(i), "v", {}).ok());
  std::atomic<bool> in_backup{false}, release{false};
  std::thread backup([&] {
    Status s = h->tenants().WithDedicatedFrozen([&](const auto&) {
      in_backup = true;
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
      while (!release.load() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
  });
  const tenantkv::testing::StopAndJoin release_backup{release, backup};  // on every way out: the backup thread ends
  for (int i = 0; i < 3000 && !in_backup.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_TRUE(in_backup.load());
  ASSERT_TRUE(h->tenants().MoveTier("acme", Tier::kDedicated).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(TierOfPlacement(h.TenantOf("acme")->Info().placement), Tier::kPooled) << "no switch during the backup";
  EXPECT_TRUE(h.Store("acme").Put("during", "v2", {}).ok()) << "writes are not paused while it waits";
  release = true;
  backup.join();
  std::string state;
  for (int i = 0; i < 6000 && state != "done" && state != "failed"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    const TenantInfo info = h.TenantOf("acme")->Info();
    state = info.tier_move.has_value() ? info.tier_move->state : "";
  }
  EXPECT_EQ(state, "done");
  EXPECT_EQ(TierOfPlacement(h.TenantOf("acme")->Info().placement), Tier::kDedicated);
  EXPECT_EQ(h.Store("acme").Get("during")->value, "v2");
  EXPECT_EQ(h.Store("acme").GetUsage().keys, 51);
}

TEST(DedicatedTier, ANodeBackupCarriesTheDedicatedDatabases) {
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->CreateTenant("vault", "", Tier::kDedicated).ok());
  ASSERT_TRUE(h->CreateTenant("shared", "", Tier::kPooled).ok());
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(h.Store("vault").Put("k" + std::to_string(i), "v" + std::to_string(i), {}).ok());
    ASSERT_TRUE(h.Store("shared").Put("k" + std::to_string(i), "s", {}).ok());
  }
  const std::string backups = h.temp().Sub("backups");
  auto b = h->BackupNode(backups);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_TRUE(h.Store("vault").Put("later", "not in the backup", {}).ok());
  const std::string restored = h.temp().Sub("restored");
  auto r = RestoreNodeBackup(backups, restored);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  h.Close();
  EngineOptions o;
  o.data_dir = restored;
  auto e = Engine::Open(o, std::make_unique<SharedKeyProvider>(h.shared_keys()));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  auto t = (*e)->tenants().Get("vault");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(TierOfPlacement((*t)->Info().placement), Tier::kDedicated);
  EXPECT_EQ((*t)->store().Get("k7")->value, "v7");
  EXPECT_EQ((*t)->store().Get("later").status().reason(), "not_found");
  EXPECT_EQ((*t)->store().GetUsage().keys, 20);
  EXPECT_EQ((*(*e)->tenants().Get("shared"))->store().Get("k7")->value, "s");
}

}  // namespace
}  // namespace tenantkv::engine::testutil
