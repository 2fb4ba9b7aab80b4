// The tenant directory on its own: the persisted records, which ids are
// taken, and the delete state machine.
#include "engine/tenants/tenant_directory.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <memory>
#include <string>

#include "engine/storage/system_keys.h"
#include "tests/testing/test_util.h"

namespace tenantkv::engine::testutil {
namespace {

class TenantDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StorageOptions so = SmallStorageOptions(dir_.Sub("db"));
    auto s = Storage::Open(so);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    storage_ = std::move(s).value();
    dir_of_tenants_ = std::make_unique<TenantDirectory>(storage_.get());
  }
  TenantDirectory& d() { return *dir_of_tenants_; }
  bool Has(const std::string& key) {
    std::string v;
    return storage_->db()->Get(rocksdb::ReadOptions(), storage_->system(), key, &v).ok();
  }

  TempDir dir_;
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<TenantDirectory> dir_of_tenants_;
};

TEST_F(TenantDirectoryTest, RecordsRoundTrip) {
  TenantInfo info;
  info.id = "acme";
  info.plan = "premium";
  info.state = TenantState::kSuspended;
  info.created_at_ms = 1234;
  info.placement = "cf:t.acme.1";
  info.data_keys = {{1, "retiring", 1234, 1}, {2, "active", 5678, 2}};
  info.incarnation = "00112233445566778899aabbccddeeff";
  ASSERT_TRUE(d().PersistRecord(info).ok());
  TenantInfo other;
  other.id = "globex";
  other.state = TenantState::kDeleting;
  rocksdb::WriteBatch batch;
  ASSERT_TRUE(d().StageRecord(other, &batch).ok());
  d().StageUsage("globex", Usage{3, 300}, &batch);
  ASSERT_TRUE(storage_->db()->Write(storage_->meta_write_options(), &batch).ok());

  auto loaded = d().LoadRecords();
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_EQ(loaded->size(), 2u);
  const TenantInfo& got = (*loaded)[0];
  EXPECT_EQ(got.id, "acme");
  EXPECT_EQ(got.plan, "premium");
  EXPECT_EQ(got.state, TenantState::kSuspended);
  EXPECT_EQ(got.created_at_ms, 1234);
  EXPECT_EQ(got.placement, "cf:t.acme.1");
  ASSERT_EQ(got.data_keys.size(), 2u);
  EXPECT_EQ(got.data_keys[1].version, 2u);
  EXPECT_EQ(got.data_keys[1].state, "active");
  EXPECT_EQ(got.data_keys[1].created_at_ms, 5678);
  EXPECT_EQ(got.data_keys[1].master_version, 2u);
  EXPECT_EQ(got.incarnation, info.incarnation);
  EXPECT_EQ((*loaded)[1].state, TenantState::kDeleting);

  auto usage = d().ReadUsage("globex");
  ASSERT_TRUE(usage.ok());
  EXPECT_EQ(usage->keys, 3);
  EXPECT_EQ(usage->logical_bytes, 300);
  auto none = d().ReadUsage("acme");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->keys, 0);
}

TEST_F(TenantDirectoryTest, AMalformedRecordIsDataLoss) {
  ASSERT_TRUE(storage_->db()->Put(storage_->meta_write_options(), storage_->system(), "tenant/acme", "{}").ok());
  EXPECT_EQ(d().LoadRecords().status().code(), Code::kDataLoss);
}

TEST_F(TenantDirectoryTest, RemoveRecordsTakesOnlyThatTenantsRecords) {
  for (const std::string id : {"acme", "acme2"}) {
    TenantInfo info;
    info.id = id;
    rocksdb::WriteBatch batch;
    ASSERT_TRUE(d().StageRecord(info, &batch).ok());
    d().StageUsage(id, Usage{1, 10}, &batch);
    batch.Put(storage_->system(), ValuesCountKey(id, 1), "x").PermitUncheckedError();
    ASSERT_TRUE(storage_->db()->Write(storage_->meta_write_options(), &batch).ok());
  }
  ASSERT_TRUE(d().RemoveRecords("acme").ok());
  EXPECT_FALSE(Has("tenant/acme"));
  EXPECT_FALSE(Has(TenantDirectory::UsageKey("acme")));
  EXPECT_FALSE(Has(ValuesCountKey("acme", 1)));
  EXPECT_TRUE(Has("tenant/acme2"));
  EXPECT_TRUE(Has(TenantDirectory::UsageKey("acme2")));
  EXPECT_TRUE(Has(ValuesCountKey("acme2", 1)));
}

TEST_F(TenantDirectoryTest, AReservedIdIsTakenUntilPublished) {
  ASSERT_TRUE(d().Reserve("acme").ok());
  EXPECT_EQ(d().Reserve("acme").reason(), "tenant_exists");
  EXPECT_EQ(d().Get("acme").status().reason(), "tenant_not_found") << "busy is not live";
  d().Publish("acme", nullptr);  // the create failed
  ASSERT_TRUE(d().Reserve("acme").ok());
  auto t = TenantNamed("acme");
  d().Publish("acme", t);
  auto got = d().Get("acme");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->get(), t.get());
  EXPECT_EQ(d().List().size(), 1u);
  EXPECT_EQ(d().Reserve("acme").reason(), "tenant_exists");
}

TEST_F(TenantDirectoryTest, ListAfterGivesAPageOfTheLiveTenantsInIdOrder) {
  for (const char* id : {"b", "a", "d", "c"}) {
    ASSERT_TRUE(d().Reserve(id).ok());
    d().Publish(id, TenantNamed(id));
  }
  ASSERT_TRUE(d().Reserve("bb").ok());  // busy: not live, not listed
  auto ids = [](const std::vector<std::shared_ptr<Tenant>>& ts) {
    std::string out;
    for (const auto& t : ts) out += t->id() + ",";
    return out;
  };
  EXPECT_EQ(ids(d().ListAfter("", 10)), "a,b,c,d,");
  EXPECT_EQ(ids(d().ListAfter("", 2)), "a,b,");
  EXPECT_EQ(ids(d().ListAfter("b", 2)), "c,d,");
  EXPECT_EQ(ids(d().ListAfter("bb", 10)), "c,d,");  // a cursor need not be an id
  EXPECT_EQ(ids(d().ListAfter("d", 10)), "");
  EXPECT_EQ(ids(d().ListAfter("a", 0)), "");
}

TEST_F(TenantDirectoryTest, ADeleteKeepsTheIdUntilItsPurgeIsDone) {
  EXPECT_EQ(d().BeginDelete("acme").status().reason(), "tenant_not_found");
  auto t = TenantNamed("acme");
  ASSERT_TRUE(d().Reserve("acme").ok());
  d().Publish("acme", t);

  auto first = d().BeginDelete("acme");
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->resumed);
  EXPECT_FALSE(first->running);
  EXPECT_EQ(first->live.get(), t.get());
  auto second = d().BeginDelete("acme");  // while the first runs
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->running);
  EXPECT_TRUE(second->resumed);

  TenantDirectory::PendingPurge purge;
  purge.info.id = "acme";
  purge.info.state = TenantState::kDeleting;
  d().MarkDeleting("acme", purge);
  EXPECT_FALSE(d().Get("acme").ok());
  EXPECT_TRUE(d().List().empty());
  EXPECT_TRUE(d().PendingDelete("acme").ok());
  d().FinishDelete("acme", /*purged=*/false, /*owns_place=*/false);  // the purge failed
  EXPECT_EQ(d().Reserve("acme").reason(), "tenant_exists");
  ASSERT_EQ(d().PendingDeletes().size(), 1u);

  auto resumed = d().BeginDelete("acme");
  ASSERT_TRUE(resumed.ok());
  EXPECT_TRUE(resumed->resumed);
  EXPECT_FALSE(resumed->running);
  EXPECT_EQ(resumed->live, nullptr);
  EXPECT_FALSE(resumed->purge.owns_place) << "the place was released by the failed attempt";
  d().FinishDelete("acme", /*purged=*/true, /*owns_place=*/false);
  EXPECT_EQ(d().PendingDelete("acme").status().reason(), "tenant_not_found");
  EXPECT_TRUE(d().Reserve("acme").ok());
}

TEST_F(TenantDirectoryTest, PendingDeletesFoundAtStartHoldTheirIds) {
  TenantInfo info;
  info.id = "acme";
  info.state = TenantState::kDeleting;
  d().AddPending(info, /*owns_place=*/false);
  EXPECT_EQ(d().Reserve("acme").reason(), "tenant_exists");
  auto pending = d().PendingDelete("acme");
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(pending->state, TenantState::kDeleting);
}

}  // namespace
}  // namespace tenantkv::engine::testutil
