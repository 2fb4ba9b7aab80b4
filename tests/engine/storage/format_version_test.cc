#include "engine/storage/format_version.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <string>

#include "crypto/keys/file/file_key_provider.h"
#include "engine/engine.h"
#include "engine/storage/storage.h"
#include "engine/storage/system_keys.h"
#include "tests/testing/test_util.h"

namespace tenantkv::engine {
namespace {

namespace fs = std::filesystem;
using testutil::RawDb;
using testutil::TempDir;

// A data directory written by tenantkv at commit 3ba51ea (format 1), with
// its test-only master key: see testdata/format1/README.md.
const fs::path kFormat1Fixture = fs::path(TENANTKV_SOURCE_DIR) / "tests/engine/testdata/format1";
// What the fixture holds (README.md).
const std::map<std::string, std::map<std::string, std::string>> kFixtureValues = {
    {"acme", {{"greeting", "hello"}, {"counter", "42"}}},
    {"globex", {{"color", "blue"}}},
};
constexpr char kAcmeToken[] = "tkv_4ebf35dce1a44a17_f07a3b7c2fc91635d6cbbcfeead38ef716a32bdd1c8dcdef3b2f4c0ddeeae35a";
constexpr char kGlobexToken[] = "tkv_0aaa34c52bb9ca76_ee2097831d0b19b0e890354ed973a84857957dc8a231ce901a7d40f45237be9d";
// Revoked before the fixture was closed; bound like the others, still revoked.
constexpr char kGlobexRevokedKeyId[] = "19d82ddd2d973845";

// A copy of the fixture: data/db and data/master.key (mode 0600, which
// git does not keep).
std::string CopyFixture(const TempDir& dir) {
  const std::string data = dir.Sub("data");
  fs::create_directories(data);
  fs::copy(kFormat1Fixture / "db", fs::path(data) / "db", fs::copy_options::recursive);
  fs::copy_file(kFormat1Fixture / "master.key", fs::path(data) / "master.key");
  ::chmod((data + "/master.key").c_str(), 0600);
  return data;
}

Result<std::unique_ptr<Engine>> OpenEngine(const std::string& data) {
  TKV_ASSIGN_OR_RETURN(auto keys, crypto::FileKeyProvider::Open(data + "/master.key", false));
  EngineOptions options;
  options.data_dir = data;
  options.block_cache_bytes = 8 << 20;
  options.memtable_budget_bytes = 32 << 20;
  options.spare_column_families = 2;
  return Engine::Open(options, std::move(keys));
}

std::string ReadSystem(const std::string& db_dir, const std::string& key) {
  RawDb raw(db_dir);
  std::string value;
  if (!raw.ok()) return "<no db>";
  rocksdb::Status s = raw.db()->Get(rocksdb::ReadOptions(), raw.SystemCf(), key, &value);
  return s.ok() ? value : "<" + s.ToString() + ">";
}

std::string IncarnationOf(Engine& engine, const std::string& id) {
  auto t = engine.tenants().Get(id);
  return t.ok() ? (*t)->incarnation() : "<" + t.status().ToString() + ">";
}

void ExpectFixtureReadsBack(Engine& engine) {
  for (const auto& [id, values] : kFixtureValues) {
    SCOPED_TRACE(id);
    auto t = engine.tenants().Get(id);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    EXPECT_FALSE((*t)->incarnation().empty());
    for (const auto& [key, value] : values) {
      auto got = (*t)->store().Get(key);
      ASSERT_TRUE(got.ok()) << key << ": " << got.status().ToString();
      EXPECT_EQ(got->value, value);
    }
  }
  for (const auto& [token, id] : {std::pair{kAcmeToken, "acme"}, std::pair{kGlobexToken, "globex"}}) {
    std::shared_ptr<Tenant> tenant;
    auto key = engine.api_keys().Authenticate(token, &tenant);
    ASSERT_TRUE(key.ok()) << id << ": " << key.status().ToString();
    EXPECT_EQ(key->tenant, id);
    EXPECT_EQ(key->tenant_incarnation, IncarnationOf(engine, id));
  }
  bool found_revoked = false;
  for (const ApiKeyInfo& k : engine.api_keys().List("globex")) {
    if (k.key_id != kGlobexRevokedKeyId) continue;
    found_revoked = true;
    EXPECT_TRUE(k.revoked());
    EXPECT_EQ(k.tenant_incarnation, IncarnationOf(engine, "globex"));
  }
  EXPECT_TRUE(found_revoked);
}

TEST(FormatVersion, ADirectoryOfThePreviousFormatIsMigratedOnceAndReadsBack) {
  TempDir dir;
  const std::string data = CopyFixture(dir);
  ASSERT_EQ(ReadSystem(data + "/db", kFormatVersionKey).rfind("<NotFound", 0), 0u);
  std::map<std::string, std::string> incarnations;
  {
    auto engine = OpenEngine(data);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    const FormatMigration& m = (*engine)->format();
    EXPECT_EQ(m.found, 1);
    EXPECT_EQ(m.now, kCurrentFormatVersion);
    EXPECT_TRUE(m.migrated());
    EXPECT_EQ(m.tenants_given_incarnation, 2u);
    EXPECT_EQ(m.api_keys_bound, 3u);
    EXPECT_EQ(m.api_keys_removed, 0u);
    ExpectFixtureReadsBack(**engine);
    for (const auto& [id, values] : kFixtureValues) incarnations[id] = IncarnationOf(**engine, id);
  }
  EXPECT_EQ(ReadSystem(data + "/db", kFormatVersionKey), std::to_string(kCurrentFormatVersion));

  auto again = OpenEngine(data);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  const FormatMigration& m = (*again)->format();
  EXPECT_EQ(m.found, kCurrentFormatVersion);
  EXPECT_FALSE(m.migrated());
  EXPECT_EQ(m.tenants_given_incarnation + m.api_keys_bound + m.api_keys_removed, 0u);
  ExpectFixtureReadsBack(**again);
  for (const auto& [id, incarnation] : incarnations) EXPECT_EQ(IncarnationOf(**again, id), incarnation) << id;
}

TEST(FormatVersion, ANewDirectoryIsWrittenInTheCurrentFormat) {
  TempDir dir;
  {
    StorageOptions so;
    so.path = dir.Sub("db");
    auto storage = Storage::Open(so);
    ASSERT_TRUE(storage.ok()) << storage.status().ToString();
    EXPECT_EQ((*storage)->format().found, 0);
    EXPECT_FALSE((*storage)->format().migrated());
  }
  EXPECT_EQ(ReadSystem(dir.Sub("db"), kFormatVersionKey), std::to_string(kCurrentFormatVersion));
}

TEST(FormatVersion, ANewerDirectoryIsRefusedAndLeftUntouched) {
  testutil::EngineHarness h;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->CreateTenant("acme", "").ok());
  h.Close();
  {
    RawDb raw(h.db_dir());
    ASSERT_TRUE(raw.ok());
    rocksdb::WriteOptions wo;
    wo.sync = true;
    ASSERT_TRUE(raw.db()->Put(wo, raw.SystemCf(), kFormatVersionKey, std::to_string(kCurrentFormatVersion + 1)).ok());
  }
  const auto before = testutil::ReadAllFiles(h.data_dir());

  for (int attempt = 0; attempt < 2; ++attempt) {
    SCOPED_TRACE(attempt);
    auto e = Engine::Open(h.options(), std::make_unique<testutil::SharedKeyProvider>(h.shared_keys()));
    ASSERT_FALSE(e.ok());
    EXPECT_EQ(e.status().code(), Code::kFailedPrecondition);
    EXPECT_EQ(e.status().reason(), "format_too_new");
    EXPECT_NE(e.status().message().find("format " + std::to_string(kCurrentFormatVersion + 1)), std::string::npos) << e.status().message();
  }
  StorageOptions so;
  so.path = h.db_dir();
  auto storage = Storage::Open(so);
  ASSERT_FALSE(storage.ok());
  EXPECT_EQ(storage.status().reason(), "format_too_new");

  EXPECT_EQ(testutil::ReadAllFiles(h.data_dir()), before);
}

TEST(FormatVersion, AnUnreadableVersionRecordIsRefused) {
  TempDir dir;
  {
    StorageOptions so;
    so.path = dir.Sub("db");
    ASSERT_TRUE(Storage::Open(so).ok());
  }
  {
    RawDb raw(dir.Sub("db"));
    ASSERT_TRUE(raw.ok());
    ASSERT_TRUE(raw.db()->Put(rocksdb::WriteOptions(), raw.SystemCf(), kFormatVersionKey, "two").ok());
  }
  StorageOptions so;
  so.path = dir.Sub("db");
  auto storage = Storage::Open(so);
  ASSERT_FALSE(storage.ok());
  EXPECT_EQ(storage.status().reason(), "format_unreadable");
}

TEST(FormatVersion, AMigrationInterruptedBetweenStepsCompletesAtTheNextOpen) {
  TempDir dir;
  const std::string data = CopyFixture(dir);
  std::vector<std::string> steps;
  {
    StorageOptions so;
    so.path = data + "/db";
    so.after_migration_step_for_test = [&](std::string_view step) {
      steps.emplace_back(step);
      return Status::Unavailable("simulated crash after " + std::string(step));
    };
    auto storage = Storage::Open(so);
    ASSERT_FALSE(storage.ok());
    EXPECT_EQ(storage.status().code(), Code::kUnavailable);
    EXPECT_NE(storage.status().message().find("runs again at the next start"), std::string::npos);
  }
  ASSERT_EQ(steps, std::vector<std::string>{"tenant_incarnations"});
  // The first step is on disk, the version record is not.
  EXPECT_EQ(ReadSystem(data + "/db", kFormatVersionKey).rfind("<NotFound", 0), 0u);
  const std::string acme_record = ReadSystem(data + "/db", std::string(kTenantPrefix) + "acme");
  ASSERT_NE(acme_record.find("\"incarnation\""), std::string::npos) << acme_record;

  auto engine = OpenEngine(data);
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  const FormatMigration& m = (*engine)->format();
  EXPECT_EQ(m.found, 1);
  EXPECT_EQ(m.tenants_given_incarnation, 0u);  // kept from the interrupted run
  EXPECT_EQ(m.api_keys_bound, 3u);
  ExpectFixtureReadsBack(**engine);
  EXPECT_NE(acme_record.find(IncarnationOf(**engine, "acme")), std::string::npos);
  engine->reset();
  EXPECT_EQ(ReadSystem(data + "/db", kFormatVersionKey), std::to_string(kCurrentFormatVersion));
}

// Format 2 had no pooled tier: no p.* column families, no pool/ record,
// no "pool:" placements. Its migration only records the current format;
// the pooled column families are made by the open, and its tenants read back.
TEST(FormatVersion, AFormat2DirectoryOpensWithThePooledTierAdded) {
  testutil::EngineHarness h;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->CreateTenant("acme", "standard").ok());
  ASSERT_TRUE(h.Store("acme").Put("greeting", "hello", {}).ok());
  h.Close();
  {
    // Back to what a format-2 binary wrote.
    RawDb raw(h.db_dir());
    ASSERT_TRUE(raw.ok());
    for (size_t i = 0; i < raw.names().size(); ++i) {
      if (raw.names()[i].rfind(kPooledCfNamePrefix, 0) != 0) continue;
      ASSERT_TRUE(raw.db()->DropColumnFamily(raw.CfStartingWith(raw.names()[i])).ok());
    }
    rocksdb::WriteOptions wo;
    wo.sync = true;
    ASSERT_TRUE(raw.db()->Delete(wo, raw.SystemCf(), kPooledPrefixMarkKey).ok());
    ASSERT_TRUE(raw.db()->Put(wo, raw.SystemCf(), kFormatVersionKey, "2").ok());
  }
  {
    RawDb raw(h.db_dir());
    ASSERT_TRUE(raw.ok());
    EXPECT_EQ(raw.CfStartingWith(kPooledCfNamePrefix), nullptr);
  }
  ASSERT_TRUE(h.Open());
  EXPECT_EQ(h->format().found, 2);
  EXPECT_EQ(h->format().now, kCurrentFormatVersion);
  EXPECT_TRUE(h->format().migrated());
  EXPECT_EQ(h.Store("acme").Get("greeting")->value, "hello");
  ASSERT_TRUE(h->CreateTenant("trial", "free").ok());
  EXPECT_EQ(TierOfPlacement(h->tenants().Get("trial").value()->Info().placement), Tier::kPooled);
  ASSERT_TRUE(h.Store("trial").Put("k", "v", {}).ok());
  h.Close();
  EXPECT_EQ(ReadSystem(h.db_dir(), kFormatVersionKey), std::to_string(kCurrentFormatVersion));
}

// Format 3 API key records have no name or expiry: the migration to 4 only
// records the version, and such a key goes on authenticating with neither.
TEST(FormatVersion, AFormat3DirectoryOpensAsFormat4WithItsKeysUnnamedAndNotExpiring) {
  testutil::EngineHarness h;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->CreateTenant("acme", "standard").ok());
  auto key = h->api_keys().Create("acme", Role::kWrite);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  h.Close();
  {
    RawDb raw(h.db_dir());
    ASSERT_TRUE(raw.ok());
    rocksdb::WriteOptions wo;
    wo.sync = true;
    ASSERT_TRUE(raw.db()->Put(wo, raw.SystemCf(), kFormatVersionKey, "3").ok());
  }
  const std::string record = ReadSystem(h.db_dir(), std::string(kApiKeyPrefix) + key->info.key_id);
  EXPECT_EQ(record.find("name"), std::string::npos) << record;
  EXPECT_EQ(record.find("expires_at"), std::string::npos) << record;
  ASSERT_TRUE(h.Open());
  EXPECT_EQ(h->format().found, 3);
  EXPECT_EQ(h->format().now, 4);
  auto info = h->api_keys().Authenticate(key->token);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->name, "");
  EXPECT_FALSE(info->has_expiry());
  h.clock().AdvanceMillis(int64_t{10} * 365 * 24 * 3600 * 1000);
  EXPECT_TRUE(h->api_keys().Authenticate(key->token).ok());
  h.Close();
  EXPECT_EQ(ReadSystem(h.db_dir(), kFormatVersionKey), "4");
}

}  // namespace
}  // namespace tenantkv::engine
