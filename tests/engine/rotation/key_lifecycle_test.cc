// Data-key rotation: new writes on the new version at once, background
// re-encryption (resumable, never overwriting newer writes, ETags kept),
// destruction of drained versions, seal counting and the seal bound.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "engine/storage/system_keys.h"
#include "tests/testing/test_util.h"

namespace tenantkv::engine::testutil {
namespace {

KeyVersionStatus VersionOf(Engine& e, const std::string& id, uint32_t version) {
  auto st = e.key_lifecycle().Describe(id);
  EXPECT_TRUE(st.ok()) << st.status().ToString();
  if (st.ok()) {
    for (const auto& v : st->versions) {
      if (v.version == version) return v;
    }
  }
  ADD_FAILURE() << "no version " << version;
  return {};
}


class KeyLifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h_.options().background_jobs = false;
    h_.options().reencrypt_batch_keys = 16;
    h_.options().seal_reserve_block = 8;
  }
  [[nodiscard]] bool OpenWithTenant() {
    if (!h_.Open()) return false;
    return h_->CreateTenant("acme", "").ok();
  }
  std::map<std::string, std::string> PutMany(int n, const std::string& tag) {
    std::map<std::string, std::string> etags;
    for (int i = 0; i < n; ++i) {
      const std::string key = "k" + std::to_string(1000 + i);
      PutOptions po;
      if (i % 7 == 0) po.ttl_seconds = 3600;  // some values carry an expiry
      auto r = h_.Store("acme").Put(key, tag + std::to_string(i), po);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      if (r.ok()) etags[key] = r->etag;
    }
    return etags;
  }
  EngineHarness h_;
};

TEST_F(KeyLifecycleTest, RotationReencryptsEveryValueAndDestroysTheOldVersion) {
  ASSERT_TRUE(OpenWithTenant());
  auto etags = PutMany(100, "v");
  EXPECT_EQ(VersionOf(h_.engine(), "acme", 1).values, 100);

  auto added = h_->key_lifecycle().Rotate("acme");
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  EXPECT_EQ(added->version, 2u);
  EXPECT_EQ(VersionOf(h_.engine(), "acme", 1).state, "retiring");
  EXPECT_EQ(VersionOf(h_.engine(), "acme", 2).state, "active");
  // New writes take the new version at once.
  ASSERT_TRUE(h_.Store("acme").Put("fresh", "x", {}).ok());
  EXPECT_EQ(VersionOf(h_.engine(), "acme", 2).values, 1);
  EXPECT_EQ(VersionOf(h_.engine(), "acme", 1).values, 100);
  EXPECT_TRUE(h_->key_lifecycle().PendingForTest("acme"));

  EXPECT_GT(DrainReencryption(h_.engine(), "acme"), 1);
  EXPECT_FALSE(h_->key_lifecycle().PendingForTest("acme"));
  const KeyVersionStatus v1 = VersionOf(h_.engine(), "acme", 1);
  EXPECT_EQ(v1.state, "destroyed");
  EXPECT_EQ(v1.values, 0);
  EXPECT_EQ(v1.seals, 100u);
  const KeyVersionStatus v2 = VersionOf(h_.engine(), "acme", 2);
  EXPECT_EQ(v2.values, 101);
  EXPECT_EQ(v2.seals, 101u);  // 100 re-seals and one put
  {
    auto tenant = h_->tenants().Get("acme");
    ASSERT_TRUE(tenant.ok());
    EXPECT_EQ((*tenant)->keyring().Get(1), nullptr);
  }

  for (const auto& [key, etag] : etags) {
    auto got = h_.Store("acme").Get(key);
    ASSERT_TRUE(got.ok()) << key << ": " << got.status().ToString();
    EXPECT_EQ(got->etag, etag) << "a re-encrypted value keeps its ETag";
    EXPECT_EQ(got->value, "v" + std::to_string(std::stoi(key.substr(1)) - 1000));
  }
  auto page = h_.Store("acme").List({});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->items.size(), 100u);

  // The audit log has the destruction; the version stays destroyed after a restart.
  auto audit = h_->audit().List({});
  ASSERT_TRUE(audit.ok());
  int destroyed = 0;
  for (const auto& e : audit->entries) destroyed += e.action == "key.destroy" ? 1 : 0;
  EXPECT_EQ(destroyed, 1);
  ASSERT_TRUE(h_.Open());
  EXPECT_EQ(VersionOf(h_.engine(), "acme", 1).state, "destroyed");
  auto got = h_.Store("acme").Get("k1001");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->value, "v1");
}

TEST_F(KeyLifecycleTest, TheDestroyedKeyRecordIsGone) {
  ASSERT_TRUE(OpenWithTenant());
  PutMany(10, "v");
  ASSERT_TRUE(h_->key_lifecycle().Rotate("acme").ok());
  DrainReencryption(h_.engine(), "acme");
  h_.Close();
  RawDb raw(h_.db_dir());
  ASSERT_TRUE(raw.ok());
  std::string record;
  EXPECT_TRUE(raw.db()->Get(rocksdb::ReadOptions(), raw.SystemCf(), "dkey/acme/00000001", &record).IsNotFound());
  EXPECT_TRUE(raw.db()->Get(rocksdb::ReadOptions(), raw.SystemCf(), "dkey/acme/00000002", &record).ok());
  EXPECT_TRUE(raw.db()->Get(rocksdb::ReadOptions(), raw.SystemCf(), ReencryptCursorKey("acme"), &record).IsNotFound());
}

TEST_F(KeyLifecycleTest, ValueCountsFollowPutsBatchesAndDeletes) {
  ASSERT_TRUE(OpenWithTenant());
  PutMany(10, "v");
  ASSERT_TRUE(h_->key_lifecycle().Rotate("acme").ok());
  TenantStore& store = h_.Store("acme");
  ASSERT_TRUE(store.Put("k1000", "over", {}).ok());  // moves from v1 to v2
  ASSERT_TRUE(store.Delete("k1001", {}).ok());       // leaves v1
  std::vector<BatchOp> ops = {{BatchOpType::kPut, "k1002", "b"}, {BatchOpType::kDelete, "k1003", ""},
                              {BatchOpType::kPut, "new", "n"},   {BatchOpType::kGet, "k1004", ""}};
  ASSERT_TRUE(store.Batch(ops).ok());
  EXPECT_EQ(VersionOf(h_.engine(), "acme", 1).values, 6);
  EXPECT_EQ(VersionOf(h_.engine(), "acme", 2).values, 3);
  // An expired value removed on read leaves its version's count too.
  h_.clock().AdvanceMillis(3'601'000);
  EXPECT_EQ(store.Get("k1007").status().code(), Code::kNotFound);
  EXPECT_EQ(VersionOf(h_.engine(), "acme", 1).values, 5);
  EXPECT_EQ(VersionOf(h_.engine(), "acme", 1).values + VersionOf(h_.engine(), "acme", 2).values,
            store.GetUsage().keys);
}

TEST_F(KeyLifecycleTest, SealCountSurvivesAReopenAndNeverFallsBehind) {
  ASSERT_TRUE(OpenWithTenant());
  PutMany(21, "v");
  EXPECT_EQ(VersionOf(h_.engine(), "acme", 1).seals, 21u);
  ASSERT_TRUE(h_.Open());  // the reservation mark (block 8) is the floor now
  const uint64_t after = VersionOf(h_.engine(), "acme", 1).seals;
  EXPECT_GE(after, 21u);
  EXPECT_LE(after, 21u + 8u);
  PutMany(3, "w");
  EXPECT_EQ(VersionOf(h_.engine(), "acme", 1).seals, after + 3);
}

TEST_F(KeyLifecycleTest, TheSealBoundRotatesOncePerCrossing) {
  h_.options().max_seals_per_key = 20;
  ASSERT_TRUE(OpenWithTenant());
  PutMany(25, "v");
  auto tenant = h_->tenants().Get("acme");
  ASSERT_TRUE(tenant.ok());
  EXPECT_EQ((*tenant)->keyring().Current().first, 1u);  // asked for, not done on the writer's thread
  h_->key_lifecycle().RunAutoRotationsForTest();
  EXPECT_EQ((*tenant)->keyring().Current().first, 2u);
  PutMany(5, "w");  // version 1 is past the bound still, but no longer current
  h_->key_lifecycle().RunAutoRotationsForTest();
  EXPECT_EQ((*tenant)->keyring().Current().first, 2u);
  auto audit = h_->audit().List({});
  ASSERT_TRUE(audit.ok());
  int autos = 0;
  for (const auto& e : audit->entries) autos += e.action == "key.rotate.auto" ? 1 : 0;
  EXPECT_EQ(autos, 1);
  // Re-encryption seals count too: 25 re-seals push version 2 past 20 again.
  DrainReencryption(h_.engine(), "acme");
  h_->key_lifecycle().RunAutoRotationsForTest();
  EXPECT_EQ((*tenant)->keyring().Current().first, 3u);
}

TEST_F(KeyLifecycleTest, PastTwiceTheSealBoundWritesAreRefusedUntilARotationWorks) {
  // Bound 10: a rotation is asked for at 10 seals; at 20 (2 x 10) version 1
  // seals no more. Block 8: after a restart the count resumes at 24.
  h_.options().max_seals_per_key = 10;
  ASSERT_TRUE(OpenWithTenant());
  std::shared_ptr<Tenant> tenant = h_->tenants().Get("acme").value();
  h_.FailWraps(true);  // every rotation fails: the key provider cannot wrap a new data key
  TenantStore& store = h_.Store("acme");
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(store.Put("k" + std::to_string(i), "v", {}).ok()) << i;
    h_->key_lifecycle().RunAutoRotationsForTest();
  }
  EXPECT_EQ(tenant->keyring().Current().first, 1u);
  EXPECT_EQ(VersionOf(h_.engine(), "acme", 1).seals, 20u);

  auto refused = store.Put("k20", "v", {});
  EXPECT_EQ(refused.status().code(), Code::kUnavailable) << refused.status().ToString();
  EXPECT_EQ(refused.status().reason(), "key_exhausted");
  auto batch = store.Batch({BatchOp{BatchOpType::kGet, "k1", ""}, BatchOp{BatchOpType::kPut, "k21", "v"}});
  EXPECT_EQ(batch.status().reason(), "key_exhausted");
  EXPECT_EQ(store.Get("k21").status().code(), Code::kNotFound) << "the refused batch wrote nothing";
  EXPECT_EQ(VersionOf(h_.engine(), "acme", 1).seals, 20u) << "refused seals are not counted";
  EXPECT_EQ(tenant->seals().Refused(), 2u);
  EXPECT_TRUE(tenant->seals().Exhausted(1));
  // Reads and deletes need no seal.
  EXPECT_EQ(store.Get("k3")->value, "v");
  EXPECT_TRUE(store.Batch({BatchOp{BatchOpType::kGet, "k4", ""}}).ok());
  EXPECT_TRUE(store.Delete("k5", {}).ok());

  // Counted across a restart from the persisted mark, which is never behind.
  tenant.reset();
  ASSERT_TRUE(h_.Open());
  tenant = h_->tenants().Get("acme").value();
  EXPECT_EQ(h_.Store("acme").Put("k20", "v", {}).status().reason(), "key_exhausted");
  EXPECT_EQ(h_.Store("acme").Get("k6")->value, "v");

  // The refused write asked for a rotation again; once one works, writes do.
  h_->key_lifecycle().RunAutoRotationsForTest();
  EXPECT_EQ(tenant->keyring().Current().first, 1u);
  h_.FailWraps(false);
  EXPECT_EQ(h_.Store("acme").Put("k20", "v", {}).status().reason(), "key_exhausted");
  h_->key_lifecycle().RunAutoRotationsForTest();
  EXPECT_EQ(tenant->keyring().Current().first, 2u);
  EXPECT_FALSE(tenant->seals().Exhausted(2));
  EXPECT_TRUE(h_.Store("acme").Put("k20", "v", {}).ok());
  DrainReencryption(h_.engine(), "acme");
  for (int i : {0, 6, 19, 20}) EXPECT_EQ(h_.Store("acme").Get("k" + std::to_string(i))->value, "v") << i;
}

TEST_F(KeyLifecycleTest, ReencryptionResumesFromItsCursorAfterARestart) {
  ASSERT_TRUE(OpenWithTenant());
  PutMany(100, "v");
  ASSERT_TRUE(h_->key_lifecycle().Rotate("acme").ok());
  for (int i = 0; i < 3; ++i) {
    auto done = h_->key_lifecycle().StepForTest("acme");
    ASSERT_TRUE(done.ok());
    ASSERT_FALSE(*done);
  }
  EXPECT_EQ(VersionOf(h_.engine(), "acme", 1).values, 100 - 3 * 16);
  ASSERT_TRUE(h_.Open());  // interrupted: the job is found again
  EXPECT_TRUE(h_->key_lifecycle().PendingForTest("acme"));
  auto done = h_->key_lifecycle().StepForTest("acme");
  ASSERT_TRUE(done.ok());
  // It went on after the cursor: 16 more, not the first 16 again.
  EXPECT_EQ(VersionOf(h_.engine(), "acme", 1).values, 100 - 4 * 16);
  DrainReencryption(h_.engine(), "acme");
  EXPECT_EQ(VersionOf(h_.engine(), "acme", 1).state, "destroyed");
  EXPECT_EQ(VersionOf(h_.engine(), "acme", 2).values, 100);
}

TEST_F(KeyLifecycleTest, ARotationDuringReencryptionRetiresBothOlderVersions) {
  ASSERT_TRUE(OpenWithTenant());
  PutMany(60, "v");
  ASSERT_TRUE(h_->key_lifecycle().Rotate("acme").ok());
  ASSERT_TRUE(h_->key_lifecycle().StepForTest("acme").ok());
  ASSERT_TRUE(h_->key_lifecycle().Rotate("acme").ok());
  EXPECT_EQ(VersionOf(h_.engine(), "acme", 1).state, "retiring");
  EXPECT_EQ(VersionOf(h_.engine(), "acme", 2).state, "retiring");
  EXPECT_EQ(VersionOf(h_.engine(), "acme", 2).values, 16);
  DrainReencryption(h_.engine(), "acme");
  EXPECT_EQ(VersionOf(h_.engine(), "acme", 1).state, "destroyed");
  EXPECT_EQ(VersionOf(h_.engine(), "acme", 2).state, "destroyed");
  EXPECT_EQ(VersionOf(h_.engine(), "acme", 3).values, 60);
  for (int i = 0; i < 60; ++i) EXPECT_TRUE(h_.Store("acme").Get("k" + std::to_string(1000 + i)).ok());
}

TEST_F(KeyLifecycleTest, WritesDuringReencryptionAreNeverOverwritten) {
  ASSERT_TRUE(OpenWithTenant());
  PutMany(200, "v");
  ASSERT_TRUE(h_->key_lifecycle().Rotate("acme").ok());
  std::atomic<bool> stop{false};
  std::map<std::string, std::string> last;
  std::thread writer([&] {
    for (int round = 0; !stop.load() || round < 3; ++round) {
      for (int i = 0; i < 200; i += 3) {
        const std::string key = "k" + std::to_string(1000 + i);
        const std::string value = "w" + std::to_string(round) + "-" + std::to_string(i);
        if (h_.Store("acme").Put(key, value, {}).ok()) last[key] = value;
      }
    }
  });
  DrainReencryption(h_.engine(), "acme");
  stop = true;
  writer.join();
  for (int i = 0; i < 200; ++i) {
    const std::string key = "k" + std::to_string(1000 + i);
    auto got = h_.Store("acme").Get(key);
    ASSERT_TRUE(got.ok()) << key;
    const std::string want = last.count(key) ? last[key] : "v" + std::to_string(i);
    EXPECT_EQ(got->value, want) << key;
  }
  EXPECT_EQ(VersionOf(h_.engine(), "acme", 1).state, "destroyed");
  EXPECT_EQ(VersionOf(h_.engine(), "acme", 2).values, 200);
}

TEST_F(KeyLifecycleTest, AnImportedTenantStartsWithExactCounts) {
  ASSERT_TRUE(OpenWithTenant());
  PutMany(30, "v");
  ASSERT_TRUE(h_->key_lifecycle().Rotate("acme").ok());  // values on two versions
  ASSERT_TRUE(h_.Store("acme").Put("fresh", "x", {}).ok());
  auto exported = h_->ExportTenant("acme", h_.temp().Sub("export"));
  ASSERT_TRUE(exported.ok()) << exported.status().ToString();
  ImportRequest r;
  r.dir = h_.temp().Sub("export");
  r.id = "acme-copy";
  ASSERT_TRUE(h_->ImportTenant(r).ok());
  // Every imported value is sealed once under the copy's version 1.
  const KeyVersionStatus v1 = VersionOf(h_.engine(), "acme-copy", 1);
  EXPECT_EQ(v1.state, "active");
  EXPECT_EQ(v1.values, 31);
  EXPECT_EQ(v1.seals, 31u);
  ASSERT_TRUE(h_->key_lifecycle().Rotate("acme-copy").ok());
  DrainReencryption(h_.engine(), "acme-copy");
  EXPECT_EQ(VersionOf(h_.engine(), "acme-copy", 1).state, "destroyed");
  EXPECT_EQ(VersionOf(h_.engine(), "acme-copy", 2).values, 31);
}

TEST_F(KeyLifecycleTest, AnUnknownTenantIsNotFound) {
  ASSERT_TRUE(h_.Open());
  EXPECT_EQ(h_->key_lifecycle().Rotate("nobody").status().code(), Code::kNotFound);
  EXPECT_EQ(h_->key_lifecycle().Describe("nobody").status().code(), Code::kNotFound);
}

TEST_F(KeyLifecycleTest, TheBackgroundThreadFinishesTheJob) {
  h_.options().background_jobs = true;
  h_.options().reencrypt_duty_percent = 100;
  ASSERT_TRUE(OpenWithTenant());
  PutMany(50, "v");
  ASSERT_TRUE(h_->key_lifecycle().Rotate("acme").ok());
  for (int i = 0; i < 3000 && h_->key_lifecycle().PendingForTest("acme"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_FALSE(h_->key_lifecycle().PendingForTest("acme"));
  EXPECT_EQ(VersionOf(h_.engine(), "acme", 1).state, "destroyed");
}

// The schedule on the engine's fake clock: tenants rotate when their
// current key reaches the policy's age, each with an audit entry; a sweep
// right after rotates nothing; the old versions drain and are destroyed.
TEST_F(KeyLifecycleTest, ScheduledSweepRotatesExactlyTheDueTenants) {
  constexpr int64_t kDay = 24LL * 3600 * 1000;
  ASSERT_TRUE(OpenWithTenant());  // acme, day 0
  PutMany(20, "v");
  ASSERT_TRUE(h_->CreateTenant("globex", "").ok());
  h_.clock().AdvanceMillis(10 * kDay);
  ASSERT_TRUE(h_->CreateTenant("initech", "").ok());  // day 10
  const RotationPolicy policy{30 * kDay, 0};

  h_.clock().AdvanceMillis(19 * kDay);  // day 29: nothing is due
  RotationSweep s = h_->RotateDueKeys(policy, "system");
  EXPECT_EQ(s.checked, 3u);
  EXPECT_TRUE(s.rotated.empty());

  h_.clock().AdvanceMillis(1 * kDay);  // day 30: acme and globex
  const uint64_t audit_before = h_->audit().last_seq();
  s = h_->RotateDueKeys(policy, "system");
  ASSERT_EQ(s.rotated.size(), 2u);
  EXPECT_EQ(s.failed(), 0u);
  for (const auto& r : s.rotated) {
    EXPECT_TRUE(r.tenant == "acme" || r.tenant == "globex") << r.tenant;
    EXPECT_EQ(r.from, 1u);
    EXPECT_EQ(r.to, 2u);
    EXPECT_EQ(r.reason, DueReason::kAge);
  }
  EXPECT_EQ(VersionOf(h_.engine(), "initech", 1).state, "active");
  auto page = h_->audit().List({"", audit_before, 10});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->entries.size(), 2u);
  for (const auto& e : page->entries) {
    EXPECT_EQ(e.action, "key.rotate.scheduled");
    EXPECT_EQ(e.actor, "system");
    EXPECT_NE(e.details.find("\"reason\":\"age\""), std::string::npos) << e.details;
  }
  EXPECT_TRUE(h_->RotateDueKeys(policy, "system").rotated.empty());  // idempotent

  h_.clock().AdvanceMillis(10 * kDay);  // day 40: initech
  s = h_->RotateDueKeys(policy, "operator");
  ASSERT_EQ(s.rotated.size(), 1u);
  EXPECT_EQ(s.rotated[0].tenant, "initech");

  DrainReencryption(h_.engine(), "acme");  // the rotated tenant's values move on
  EXPECT_EQ(VersionOf(h_.engine(), "acme", 1).state, "destroyed");
  EXPECT_EQ(VersionOf(h_.engine(), "acme", 1).values, 0);
  for (int i = 0; i < 20; ++i) {
    if (i % 7 == 0) continue;  // PutMany gave these a 1 h expiry: long gone
    auto v = h_.Store("acme").Get("k" + std::to_string(1000 + i));
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    EXPECT_EQ(v->value, "v" + std::to_string(i));
  }
}

TEST_F(KeyLifecycleTest, ScheduledSweepHonoursTheSealBoundAndSkipsDeletedTenants) {
  ASSERT_TRUE(OpenWithTenant());
  PutMany(10, "v");  // 10 seals on acme's version 1
  ASSERT_TRUE(h_->CreateTenant("gone", "").ok());
  ASSERT_TRUE(h_->DeleteTenant("gone").ok());
  RotationSweep s = h_->RotateDueKeys({0, 10}, "system");
  EXPECT_EQ(s.checked, 1u);
  ASSERT_EQ(s.rotated.size(), 1u);
  EXPECT_EQ(s.rotated[0].reason, DueReason::kSeals);
  EXPECT_EQ(s.rotated[0].to, 2u);
  EXPECT_TRUE(h_->RotateDueKeys({0, 10}, "system").rotated.empty());
  EXPECT_TRUE(h_->RotateDueKeys({}, "system").rotated.empty());  // policy off
}

}  // namespace
}  // namespace tenantkv::engine::testutil
