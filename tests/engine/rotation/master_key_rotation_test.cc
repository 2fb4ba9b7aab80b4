// Online master-key rotation: every wrapped key moves to the new master
// version, the old one is destroyed, values stay readable, and a rotation
// stopped anywhere resumes at the next start.
#include "engine/rotation/master_key_rotation.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <atomic>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/test_util.h"

namespace tenantkv::engine::testutil {
namespace {

void WriteSome(TenantStore& store, const std::string& tag, int n) {
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(store.Put("k" + std::to_string(i), tag + std::to_string(i), {}).ok());
  }
}

void ExpectReadable(EngineHarness& h, const std::string& id, const std::string& tag, int n) {
  SCOPED_TRACE(id);
  for (int i = 0; i < n; ++i) {
    auto v = h.Store(id).Get("k" + std::to_string(i));
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    EXPECT_EQ(v->value, tag + std::to_string(i));
  }
}

// Every wrapped-key record is under `version` and nothing else.
void ExpectAllUnder(EngineHarness& h, uint32_t version) {
  auto st = h->master_key().CurrentStatus();
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  ASSERT_EQ(st->keys_per_master.size(), 1u);
  EXPECT_EQ(st->keys_per_master.begin()->first, version);
}

TEST(MasterKeyRotation, RewrapsEveryKeyAndRetiresTheOldVersion) {
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  for (const char* id : {"acme", "globex", "initech"}) {
    ASSERT_TRUE(h->tenants().Create(id, "").ok());
    WriteSome(h.Store(id), std::string(id) + "-", 20);
  }
  auto export_key = h->tenants().GetExportKey("acme", /*create=*/true);
  ASSERT_TRUE(export_key.ok()) << export_key.status().ToString();

  auto report = h->master_key().Rotate();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->from, 1u);
  EXPECT_EQ(report->to, 2u);
  EXPECT_EQ(report->tenants, 3u);
  EXPECT_EQ(report->keys_rewrapped, 4u);  // three data keys and one export key
  EXPECT_EQ(report->retired, std::vector<uint32_t>{1});
  EXPECT_FALSE(report->resumed);
  EXPECT_EQ(h.shared_keys()->Versions(), std::vector<uint32_t>{2});
  ExpectAllUnder(h, 2);
  for (const auto& t : h->tenants().List()) {
    for (const auto& k : t->Info().data_keys) EXPECT_EQ(k.master_version, 2u);
  }
  // The export key is the same key, now under version 2.
  auto again = h->tenants().GetExportKey("acme", false);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->key_id, export_key->key_id);
  EXPECT_TRUE(again->key.Equals(export_key->key));

  // New tenants use the new version; a restart opens everything.
  ASSERT_TRUE(h->tenants().Create("umbrella", "").ok());
  WriteSome(h.Store("umbrella"), "u-", 5);
  ASSERT_TRUE(h.Open());
  for (const char* id : {"acme", "globex", "initech"}) ExpectReadable(h, id, std::string(id) + "-", 20);
  ExpectReadable(h, "umbrella", "u-", 5);
  auto st = h->master_key().CurrentStatus();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->last.state, "done");
  EXPECT_EQ(st->last.from, 1u);
  EXPECT_EQ(st->last.to, 2u);
  EXPECT_FALSE(st->running);

  // And a second rotation goes on from there.
  auto second = h->master_key().Rotate();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->from, 2u);
  EXPECT_EQ(second->to, 3u);
  EXPECT_EQ(second->keys_rewrapped, 5u);
  ExpectAllUnder(h, 3);
}

TEST(MasterKeyRotation, InterruptedRotationResumesAtTheNextStart) {
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  for (int i = 0; i < 4; ++i) {
    const std::string id = "t" + std::to_string(i);
    ASSERT_TRUE(h->tenants().Create(id, "").ok());
    WriteSome(h.Store(id), id + "-", 10);
  }
  h->master_key().SetTenantHookForTest([](size_t done) {
    return done == 2 ? Status::Unavailable("stopped by the test") : Status::Ok();
  });
  auto stopped = h->master_key().Rotate();
  ASSERT_FALSE(stopped.ok());
  {
    auto st = h->master_key().CurrentStatus();
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(st->last.state, "rewrapping");
    EXPECT_EQ(st->keys_per_master.at(1), 2u);  // half moved, half not:
    EXPECT_EQ(st->keys_per_master.at(2), 2u);  // both versions still held
    EXPECT_EQ(h.shared_keys()->Versions(), (std::vector<uint32_t>{1, 2}));
  }
  for (int i = 0; i < 4; ++i) ExpectReadable(h, "t" + std::to_string(i), "t" + std::to_string(i) + "-", 10);

  ASSERT_TRUE(h.Open());  // resumes in the background
  h->master_key().WaitForBackground();
  ExpectAllUnder(h, 2);
  EXPECT_EQ(h.shared_keys()->Versions(), std::vector<uint32_t>{2});
  auto st = h->master_key().CurrentStatus();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->last.state, "done");
  EXPECT_EQ(st->last.retired, std::vector<uint32_t>{1});
  for (int i = 0; i < 4; ++i) ExpectReadable(h, "t" + std::to_string(i), "t" + std::to_string(i) + "-", 10);
  auto audit = h->audit().List({});
  ASSERT_TRUE(audit.ok());
  bool rotate_logged = false;
  for (const auto& e : audit->entries) rotate_logged = rotate_logged || (e.action == "master_key.rotate" && e.actor == "system");
  EXPECT_TRUE(rotate_logged);
}

TEST(MasterKeyRotation, ASecondRotationWhileOneRunsIsRefused) {
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->tenants().Create("acme", "").ok());
  std::promise<void> inside;
  std::promise<void> release;
  auto released = release.get_future().share();
  h->master_key().SetTenantHookForTest([&inside, released](size_t) {
    inside.set_value();
    released.wait();
    return Status::Ok();
  });
  auto first = std::async(std::launch::async, [&h] { return h->master_key().Rotate(); });
  inside.get_future().wait();
  auto second = h->master_key().Rotate();
  EXPECT_EQ(second.status().code(), Code::kAlreadyExists);
  EXPECT_EQ(second.status().reason(), "rotation_in_progress");
  auto st = h->master_key().CurrentStatus();
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(st->running);
  release.set_value();
  auto done = first.get();
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->to, 2u);
}

TEST(MasterKeyRotation, TenantsCreatedAndDeletedMeanwhileEndUnderTheNewVersion) {
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(h->tenants().Create("base" + std::to_string(i), "").ok());
  std::atomic<bool> stop{false};
  std::thread churn([&] {
    for (int i = 0; i < 40 && !stop; ++i) {
      const std::string id = "churn" + std::to_string(i);
      EXPECT_TRUE(h->tenants().Create(id, "").ok());
      EXPECT_TRUE(h->tenants().GetExportKey(id, true).ok());
      if (i % 2 == 0) {
        EXPECT_TRUE(h->tenants().Delete(id).ok());
      }
    }
  });
  auto report = h->master_key().Rotate();
  stop = true;
  churn.join();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ExpectAllUnder(h, 2);
  EXPECT_EQ(h.shared_keys()->Versions(), std::vector<uint32_t>{2});
  ASSERT_TRUE(h.Open());  // every live tenant's keys open under version 2 alone
  EXPECT_GE(h->tenants().List().size(), 6u);
}

TEST(MasterKeyRotation, KeysLeftByAnUnfinishedDeleteAreDestroyed) {
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->tenants().Create("acme", "").ok());
  // A key record nobody owns (what a delete that failed midway leaves).
  rocksdb::WriteOptions wo;
  auto record = h->tenants().GetExportKey("acme", true);
  ASSERT_TRUE(record.ok());
  h.Close();
  {
    // Copy acme's export record under a name no tenant has.
    std::vector<std::string> cfs;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::Options(), h.db_dir(), &cfs).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> descs;
    for (const auto& n : cfs) {
      rocksdb::ColumnFamilyOptions o;
      if (n == "tenantkv.system") o.merge_operator = NewUsageMergeOperator();
      descs.emplace_back(n, o);
    }
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), h.db_dir(), descs, &handles, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    rocksdb::ColumnFamilyHandle* system = nullptr;
    for (size_t i = 0; i < cfs.size(); ++i) {
      if (cfs[i] == "tenantkv.system") system = handles[i];
    }
    ASSERT_NE(system, nullptr);
    std::string value;
    ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), system, "dkey/acme/export", &value).ok());
    ASSERT_TRUE(db->Put(wo, system, "dkey/ghost/export", value).ok());
    for (auto* handle : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(handle).ok());
  }
  ASSERT_TRUE(h.Open());
  auto report = h->master_key().Rotate();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->leftovers_destroyed, 1u);
  EXPECT_EQ(report->keys_rewrapped, 2u);
  ExpectAllUnder(h, 2);
  auto st = h->master_key().CurrentStatus();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->keys_per_master.at(2), 2u);
}

// A suspend made while a rotation rewraps the tenant's keys is kept: the
// rewrap does not write back a tenant record read before it.
TEST(MasterKeyRotation, ASuspendDuringTheRewrapSurvives) {
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->tenants().Create("acme", "").ok());
  ASSERT_TRUE(h->tenants().Create("globex", "").ok());
  int suspends = 0;
  h->tenants().SetRewrapHookForTest([&](const std::string& id) {
    if (id != "acme" || suspends++ > 0) return;
    auto s = h->tenants().SetSuspended("acme", true);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
  });
  auto report = h->master_key().Rotate();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  h->tenants().SetRewrapHookForTest(nullptr);
  EXPECT_EQ(suspends, 1);
  EXPECT_EQ(h->tenants().Get("acme").value()->state(), TenantState::kSuspended);
  EXPECT_EQ(h->tenants().Get("acme").value()->Info().state, TenantState::kSuspended);
  ExpectAllUnder(h, 2);

  ASSERT_TRUE(h.Open());
  EXPECT_EQ(h->tenants().Get("acme").value()->state(), TenantState::kSuspended)
      << "the suspend was lost in the rotation";
  EXPECT_EQ(h->tenants().Get("globex").value()->state(), TenantState::kActive);
  ExpectAllUnder(h, 2);
}

}  // namespace
}  // namespace tenantkv::engine::testutil
