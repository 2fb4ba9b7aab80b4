// The placement on its own: a new tenant's place is claimed with its record,
// returned if that fails, released on delete, and found again after a
// restart; a place nobody claimed is taken back at the next start.
#include "engine/tenants/tenant_placement.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/sst_file_writer.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "tests/testing/test_util.h"

namespace tenantkv::engine::testutil {
namespace {

class TenantPlacementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.path = dir_.Sub("db");
    options_.block_cache_bytes = 8 << 20;
    options_.memtable_budget_bytes = 32 << 20;
    Reopen({});
  }
  void Reopen(const std::vector<TenantInfo>& records) {
    placement_.reset();
    storage_.reset();
    auto s = Storage::Open(options_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    storage_ = std::move(s).value();
    CfPoolOptions po;
    po.target_spares = 2;
    po.low_water = 0;
    po.background = false;
    PlacementOptions options;
    options.pool = po;
    options.pooled_column_families = 2;
    auto p = TenantPlacement::Open(storage_.get(), records, options);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    placement_ = std::move(p).value();
  }
  void Commit(rocksdb::WriteBatch* b) {
    ASSERT_TRUE(storage_->db()->Write(storage_->meta_write_options(), b).ok());
  }
  // A place claimed for tenant `id`, as its record names it.
  TenantInfo Claimed(const std::string& id) {
    TenantInfo info;
    info.id = id;
    auto place = placement_->Take(Tier::kColumnFamily);
    EXPECT_TRUE(place.ok()) << place.status().ToString();
    if (!place.ok()) return info;
    rocksdb::WriteBatch b;
    placement_->StageClaim(*place, &b);
    Commit(&b);
    info.placement = place->name;
    return info;
  }

  TempDir dir_;
  StorageOptions options_;
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<TenantPlacement> placement_;
};

TEST_F(TenantPlacementTest, ANewPlaceIsAColumnFamilyOfItsOwn) {
  auto a = placement_->Take(Tier::kColumnFamily);
  auto b = placement_->Take(Tier::kColumnFamily);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->name.rfind("cf:t.", 0), 0u) << a->name;
  EXPECT_NE(a->name, b->name);
  EXPECT_NE(a->cf, nullptr);
  EXPECT_NE(a->cf.get(), b->cf.get());
  const size_t spares = placement_->cf_pool().stats().spares;
  placement_->Return(std::move(a).value());
  EXPECT_EQ(placement_->cf_pool().stats().spares, spares + 1) << "a returned place is free again";
}

TEST_F(TenantPlacementTest, AClaimedPlaceIsFoundAfterARestartAndAnUnclaimedOneIsTakenBack) {
  TenantInfo owned = Claimed("acme");
  TenantInfo orphan = Claimed("globex");  // a crash before its tenant record
  Reopen({owned});
  EXPECT_EQ(placement_->cf_pool().stats().recycling, 1u) << "only the orphan is taken back";
  auto found = placement_->Find(owned);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->name, owned.placement);
  EXPECT_NE(found->cf, nullptr);

  TenantInfo gone;
  gone.id = "initech";
  gone.placement = "cf:t.initech.00000000";
  EXPECT_EQ(placement_->Find(gone).status().code(), Code::kDataLoss);
}

TEST_F(TenantPlacementTest, AReleasedPlaceIsEmptiedAndHandedOutAgain) {
  TenantInfo info = Claimed("acme");
  auto place = placement_->Find(info);
  ASSERT_TRUE(place.ok());
  ASSERT_TRUE(storage_->db()->Put(storage_->data_write_options(), place->cf.get(), "k", "v").ok());

  rocksdb::WriteBatch b;
  bool staged = false;
  ASSERT_TRUE(placement_->StageRelease(info.placement, &b, &staged).ok());
  EXPECT_TRUE(staged);
  Commit(&b);
  placement_->Released(info.placement);
  EXPECT_EQ(placement_->cf_pool().stats().recycling, 1u);
  ASSERT_TRUE(placement_->cf_pool().Maintain().ok());
  std::string v;
  EXPECT_TRUE(storage_->db()->Get(rocksdb::ReadOptions(), place->cf.get(), "k", &v).IsNotFound());

  // The next tenant gets it back, empty.
  std::vector<std::string> names;
  for (int i = 0; i < 3; ++i) {
    auto next = placement_->Take(Tier::kColumnFamily);
    ASSERT_TRUE(next.ok());
    names.push_back(next->name);
  }
  EXPECT_NE(std::find(names.begin(), names.end(), info.placement), names.end());
}

TEST_F(TenantPlacementTest, FillMovesFilesIntoTheClaimedPlace) {
  auto place = placement_->Take(Tier::kColumnFamily);
  ASSERT_TRUE(place.ok());
  ASSERT_TRUE(placement_->Claim(*place).ok());
  const std::string sst = dir_.Sub("in.sst");
  rocksdb::SstFileWriter writer{rocksdb::EnvOptions(), rocksdb::Options()};
  ASSERT_TRUE(writer.Open(sst).ok());
  ASSERT_TRUE(writer.Put("a", "1").ok());
  ASSERT_TRUE(writer.Put("b", "2").ok());
  ASSERT_TRUE(writer.Finish().ok());
  ASSERT_TRUE(placement_->Fill(*place, {sst}).ok());
  std::string v;
  ASSERT_TRUE(storage_->db()->Get(rocksdb::ReadOptions(), place->cf.get(), "b", &v).ok());
  EXPECT_EQ(v, "2");

  TenantInfo info;
  info.id = "acme";
  info.placement = place->name;
  place->cf.reset();  // no handle may outlive the DB
  Reopen({info});
  EXPECT_EQ(placement_->cf_pool().stats().recycling, 0u) << "a claimed place stays its owner's";
}

// Pooled places: a prefix of their own in a shared column family, claimed
// by the record alone; a release range-deletes that prefix and nothing next
// to it, and a compaction takes it out of the files.
TEST_F(TenantPlacementTest, PooledPlacesReleaseTheirPrefixOnly) {
  auto a = placement_->Take(Tier::kPooled);
  auto b = placement_->Take(Tier::kPooled);
  auto c = placement_->Take(Tier::kPooled);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->key_prefix.size(), kPooledKeyPrefixBytes);
  EXPECT_NE(a->key_prefix, c->key_prefix);
  EXPECT_EQ(a->cf, c->cf);  // two shared column families: every other prefix
  EXPECT_NE(a->cf, b->cf);
  rocksdb::WriteBatch claim;
  placement_->StageClaim(*a, &claim);
  EXPECT_EQ(claim.Count(), 0);  // the tenant record is the claim
  rocksdb::WriteBatch data;
  for (const Place* p : {&*a, &*c}) {
    ASSERT_TRUE(data.Put(p->cf.get(), p->key_prefix + "k", "v").ok());
    ASSERT_TRUE(data.Put(p->cf.get(), p->key_prefix + std::string(kMaxKeyBytes, '\xff'), "v").ok());
  }
  Commit(&data);
  EXPECT_EQ(placement_->Fill(*a, {}).reason(), "tier_not_supported");

  rocksdb::WriteBatch release;
  bool staged = false;
  ASSERT_TRUE(placement_->StageRelease(a->name, &release, &staged).ok());
  EXPECT_TRUE(staged);
  Commit(&release);
  placement_->Released(a->name);
  ASSERT_TRUE(placement_->Compact(a->name).ok());
  std::string v;
  EXPECT_TRUE(storage_->db()->Get(rocksdb::ReadOptions(), a->cf.get(), a->key_prefix + "k", &v).IsNotFound());
  EXPECT_TRUE(storage_->db()->Get(rocksdb::ReadOptions(), c->cf.get(), c->key_prefix + "k", &v).ok());
  EXPECT_TRUE(storage_->db()
                  ->Get(rocksdb::ReadOptions(), c->cf.get(), c->key_prefix + std::string(kMaxKeyBytes, '\xff'), &v)
                  .ok());

  // The place a record names is found again after a restart, prefix and all.
  TenantInfo info;
  info.id = "acme";
  info.placement = c->name;
  const std::string prefix = c->key_prefix;
  a->cf.reset();
  b->cf.reset();
  c->cf.reset();
  Reopen({info});
  auto found = placement_->Find(info);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->key_prefix, prefix);
  auto next = placement_->Take(Tier::kPooled);
  ASSERT_TRUE(next.ok());
  EXPECT_GT(next->key_prefix, prefix);  // never handed out again
}

}  // namespace
}  // namespace tenantkv::engine::testutil
