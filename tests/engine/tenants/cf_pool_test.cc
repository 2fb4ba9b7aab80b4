// The column-family pool: tenants are created and deleted without
// column-family DDL, deleted tenants' column families come back empty, and
// the pool survives restarts and crashes.
#include "engine/tenants/cf_pool.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <chrono>
#include <set>
#include <thread>
#include <string>
#include <vector>

#include "tests/testing/test_util.h"

namespace tenantkv::engine::testutil {
namespace {

std::string CfNameOf(const std::shared_ptr<Tenant>& t) {
  const std::string p = t->Info().placement;
  EXPECT_EQ(p.rfind("cf:", 0), 0u) << p;
  return p.substr(3);
}

std::set<std::string> Names(Storage& s) {
  auto v = s.ColumnFamilyNames();
  return {v.begin(), v.end()};
}

class PoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StorageOptions so = SmallStorageOptions(dir_.Sub("db"));
    options_ = so;
    Reopen();
  }
  void Reopen() {
    pool_.reset();
    storage_.reset();
    auto s = Storage::Open(options_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    storage_ = std::move(s).value();
  }
  std::unique_ptr<ColumnFamilyPool> OpenPool(size_t target, size_t low_water,
                                             const std::set<std::string>& owned = {}) {
    CfPoolOptions po;
    po.target_spares = target;
    po.low_water = low_water;
    po.background = false;
    auto p = ColumnFamilyPool::Open(storage_.get(), "t.", owned, po);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? std::move(p).value() : nullptr;
  }
  void Commit(rocksdb::WriteBatch* b) {
    ASSERT_TRUE(storage_->db()->Write(storage_->meta_write_options(), b).ok());
  }

  TempDir dir_;
  StorageOptions options_;
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<ColumnFamilyPool> pool_;
};

TEST_F(PoolTest, StartsFullAndRefillsInOneBatchWhenLow) {
  pool_ = OpenPool(4, 2);
  EXPECT_EQ(pool_->stats().spares, 4u);
  EXPECT_EQ(pool_->stats().refills, 1u);
  std::set<std::string> taken;
  for (int i = 0; i < 3; ++i) {
    auto lease = pool_->Take();
    ASSERT_TRUE(lease.ok()) << lease.status().ToString();
    ASSERT_NE(lease->cf, nullptr);
    rocksdb::WriteBatch b;
    pool_->Stage(*lease, &b);
    Commit(&b);
    EXPECT_TRUE(taken.insert(lease->name).second) << "a spare was handed out twice";
  }
  EXPECT_EQ(pool_->stats().spares, 1u);
  ASSERT_TRUE(pool_->Maintain().ok());
  EXPECT_EQ(pool_->stats().spares, 4u);
  EXPECT_EQ(pool_->stats().refills, 2u) << "three spares made in one batch";
  EXPECT_EQ(pool_->stats().sync_creates, 0u);
}

TEST_F(PoolTest, AnEmptyPoolStillGivesAColumnFamily) {
  pool_ = OpenPool(0, 0);
  auto lease = pool_->Take();
  ASSERT_TRUE(lease.ok()) << lease.status().ToString();
  EXPECT_NE(lease->cf, nullptr);
  EXPECT_EQ(pool_->stats().sync_creates, 1u);
}

TEST_F(PoolTest, TakenSparesStayTakenAcrossRestartsAndReturnedOnesComeBack) {
  pool_ = OpenPool(3, 1);
  auto kept = pool_->Take();
  auto returned = pool_->Take();
  ASSERT_TRUE(kept.ok() && returned.ok());
  rocksdb::WriteBatch b;
  pool_->Stage(*kept, &b);
  Commit(&b);
  pool_->Return(std::move(returned).value());
  EXPECT_EQ(pool_->stats().spares, 2u);

  kept->cf.reset();  // no handle may outlive the DB
  Reopen();
  // The kept one is owned by someone now (as a tenant record would say).
  pool_ = OpenPool(2, 1, {kept->name});
  EXPECT_EQ(pool_->stats().spares, 2u);
  EXPECT_EQ(pool_->stats().recycling, 0u);
  EXPECT_EQ(pool_->stats().refills, 0u) << "nothing to make at start-up";
  for (int i = 0; i < 2; ++i) {
    auto l = pool_->Take();
    ASSERT_TRUE(l.ok());
    EXPECT_NE(l->name, kept->name);
  }
}

TEST_F(PoolTest, RecyclingEmptiesTheColumnFamilyBeforeItIsSpareAgain) {
  pool_ = OpenPool(1, 0);
  auto lease = pool_->Take();
  ASSERT_TRUE(lease.ok());
  rocksdb::WriteBatch b;
  pool_->Stage(*lease, &b);
  Commit(&b);
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(storage_->db()
                    ->Put(storage_->data_write_options(), lease->cf.get(), "key" + std::to_string(i),
                          std::string(100, 'v'))
                    .ok());
  }
  ASSERT_TRUE(storage_->Flush().ok());
  ASSERT_TRUE(storage_->db()->Put(storage_->data_write_options(), lease->cf.get(), "memtable-only", "x").ok());
  // The longest key a tenant may have is covered too.
  ASSERT_TRUE(storage_->db()
                  ->Put(storage_->data_write_options(), lease->cf.get(), std::string(kMaxKeyBytes, '\xff'), "x")
                  .ok());

  rocksdb::WriteBatch recycle;
  ASSERT_TRUE(pool_->StageRecycle(lease->name, &recycle).ok());
  Commit(&recycle);
  pool_->Recycling(lease->name);
  EXPECT_EQ(pool_->stats().recycling, 1u);
  ASSERT_TRUE(pool_->Maintain().ok());
  EXPECT_EQ(pool_->stats().recycling, 0u);
  EXPECT_EQ(pool_->stats().recycled, 1u);

  std::unique_ptr<rocksdb::Iterator> it(storage_->db()->NewIterator(rocksdb::ReadOptions(), lease->cf.get()));
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid()) << "left in a recycled column family: " << it->key().ToString();
  const std::string end_of_keys(kMaxKeyBytes + 1, '\xff');  // Range only points at it
  rocksdb::Range all("", end_of_keys);
  uint64_t size = 0;
  rocksdb::SizeApproximationOptions sao;
  sao.include_files = true;
  sao.include_memtables = true;
  ASSERT_TRUE(storage_->db()->GetApproximateSizes(sao, lease->cf.get(), &all, 1, &size).ok());
  EXPECT_EQ(size, 0u) << "the old data is still in the column family's files";

  // It is handed out again.
  auto again = pool_->Take();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->name, lease->name);
}

TEST_F(PoolTest, ColumnFamiliesNobodyOwnsAreAdoptedAndEmptied) {
  // A create that crashed after making its column family, before its record.
  ASSERT_TRUE(storage_->CreateColumnFamilies({"t.acme.0badc0de"}).ok());
  CfHandle orphan = storage_->Find("t.acme.0badc0de");
  ASSERT_NE(orphan, nullptr);
  ASSERT_TRUE(storage_->db()->Put(storage_->data_write_options(), orphan.get(), "k", "v").ok());
  ASSERT_TRUE(storage_->CreateColumnFamilies({"t.owned.00000001", "not-a-tenant-cf"}).ok());
  orphan.reset();
  Reopen();

  pool_ = OpenPool(0, 0, {"t.owned.00000001"});
  EXPECT_EQ(pool_->stats().recycling, 1u) << "only the orphan is adopted";
  ASSERT_TRUE(pool_->Maintain().ok());
  EXPECT_EQ(pool_->stats().spares, 1u);
  auto lease = pool_->Take();
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ(lease->name, "t.acme.0badc0de");
  std::string v;
  EXPECT_TRUE(storage_->db()->Get(rocksdb::ReadOptions(), lease->cf.get(), "k", &v).IsNotFound());
  EXPECT_EQ(Names(*storage_).count("not-a-tenant-cf"), 1u);
  EXPECT_EQ(Names(*storage_).count("t.owned.00000001"), 1u);
}

TEST_F(PoolTest, ACrashMidRecycleFinishesAtTheNextStart) {
  pool_ = OpenPool(1, 0);
  auto lease = pool_->Take();
  ASSERT_TRUE(lease.ok());
  rocksdb::WriteBatch b;
  pool_->Stage(*lease, &b);
  Commit(&b);
  ASSERT_TRUE(storage_->db()->Put(storage_->data_write_options(), lease->cf.get(), "k", "v").ok());
  rocksdb::WriteBatch recycle;
  ASSERT_TRUE(pool_->StageRecycle(lease->name, &recycle).ok());
  Commit(&recycle);
  // Crash: the background job never ran.
  const std::string name = lease->name;
  lease->cf.reset();
  Reopen();
  pool_ = OpenPool(0, 0);
  EXPECT_EQ(pool_->stats().recycling, 1u);
  ASSERT_TRUE(pool_->Maintain().ok());
  EXPECT_EQ(pool_->stats().spares, 1u);
  auto again = pool_->Take();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->name, name);
  std::string v;
  EXPECT_TRUE(storage_->db()->Get(rocksdb::ReadOptions(), again->cf.get(), "k", &v).IsNotFound());
}

// Through the registry: no DDL for create or delete, and a recycled column
// family reused by a new tenant shows nothing of the old one.
TEST(PoolRegistry, CreateAndDeleteIssueNoColumnFamilyDdl) {
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  const CfPoolStats start = h->tenants().cf_pool().stats();
  ASSERT_GE(start.spares, 4u);
  ASSERT_TRUE(h->tenants().Create("acme", "").ok());
  auto acme = h->tenants().Get("acme");
  ASSERT_TRUE(acme.ok());
  const std::string acme_cf = CfNameOf(*acme);
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(h.Store("acme").Put("k" + std::to_string(i), "acme-secret", {}).ok());
  }
  ASSERT_TRUE(h->DeleteTenant("acme").ok());
  // Writes through a handle held across the delete are refused.
  EXPECT_FALSE((*acme)->store().Put("late", "x", {}).ok());
  acme->reset();

  // Wait for the background recycling (bounded).
  for (int i = 0; i < 500 && h->tenants().cf_pool().stats().recycled == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const CfPoolStats after = h->tenants().cf_pool().stats();
  EXPECT_EQ(after.recycled, 1u);
  EXPECT_EQ(after.sync_creates, 0u);
  EXPECT_EQ(after.created, start.created) << "no column family was made for the tenant";

  // Take every spare so the next tenant gets acme's old column family.
  std::vector<std::string> ids;
  bool reused = false;
  for (size_t i = 0; i < start.spares + 1 && !reused; ++i) {
    const std::string id = "t" + std::to_string(i);
    ASSERT_TRUE(h->tenants().Create(id, "").ok());
    auto t = h->tenants().Get(id);
    ASSERT_TRUE(t.ok());
    if (CfNameOf(*t) == acme_cf) {
      reused = true;
      auto page = (*t)->store().List(ListRequest{});
      ASSERT_TRUE(page.ok());
      EXPECT_TRUE(page->items.empty()) << "a new tenant sees the old tenant's keys";
      EXPECT_EQ((*t)->store().GetUsage().keys, 0);
      EXPECT_EQ((*t)->store().Get("k1").status().code(), Code::kNotFound);
    }
  }
  EXPECT_TRUE(reused) << "acme's column family never came back from the pool";
}

}  // namespace
}  // namespace tenantkv::engine::testutil
