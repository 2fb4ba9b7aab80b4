// The wrapped-key store on its own: data keys wrapped and unwrapped, the
// master-key rewrap and census, export keys, destruction.
#include "engine/tenants/wrapped_key_store.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "tests/testing/test_util.h"

namespace tenantkv::engine::testutil {
namespace {

class WrappedKeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StorageOptions so = SmallStorageOptions(dir_.Sub("db"));
    auto s = Storage::Open(so);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    storage_ = std::move(s).value();
    store_ = std::make_unique<WrappedKeyStore>(storage_.get(), &keys_, &clock_);
  }
  static crypto::SecretBytes Key(char fill) {
    crypto::SecretBytes key(32);
    std::memset(key.data(), fill, key.size());
    return key;
  }
  // Data key `version` of `id`, wrapped under the current master version.
  void AddKey(const std::string& id, uint32_t version, char fill) {
    rocksdb::WriteBatch batch;
    auto master = store_->StageDataKey(id, version, clock_.NowUnixMillis(), Key(fill), &batch);
    ASSERT_TRUE(master.ok()) << master.status().ToString();
    EXPECT_EQ(*master, keys_.CurrentVersion());
    Commit(&batch);
  }
  void Commit(rocksdb::WriteBatch* batch) {
    ASSERT_TRUE(storage_->db()->Write(storage_->meta_write_options(), batch).ok());
  }
  void ExpectKey(const std::string& id, uint32_t version, char fill) {
    auto key = store_->UnwrapDataKey(id, version);
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    EXPECT_TRUE(key->Equals(Key(fill)));
  }

  TempDir dir_;
  crypto::MemoryKeyProvider keys_;
  FakeClock clock_;
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<WrappedKeyStore> store_;
};

TEST_F(WrappedKeyStoreTest, DataKeysUnwrapAsTheyWereStaged) {
  AddKey("acme", 1, 'a');
  AddKey("acme", 2, 'b');
  AddKey("globex", 1, 'c');
  ExpectKey("acme", 1, 'a');
  ExpectKey("acme", 2, 'b');
  ExpectKey("globex", 1, 'c');
  EXPECT_EQ(store_->UnwrapDataKey("acme", 3).status().code(), Code::kNotFound);
  auto count = store_->CountRecords("acme");
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 2u);
}

TEST_F(WrappedKeyStoreTest, RewrapMovesEveryRecordOfATenantAndTheCensusSeesIt) {
  AddKey("acme", 1, 'a');
  AddKey("acme", 2, 'b');
  AddKey("globex", 1, 'c');
  auto owner = TenantNamed("acme");
  auto exp = store_->GetExportKey("acme", /*create=*/true, [&] { return owner; });
  ASSERT_TRUE(exp.ok()) << exp.status().ToString();
  auto to = keys_.AddVersion();
  ASSERT_TRUE(to.ok());

  auto before = store_->Census(*to);
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  EXPECT_EQ(before->keys_per_master, (std::map<uint32_t, size_t>{{1, 4}}));
  EXPECT_EQ(before->tenants_not_under, (std::set<std::string>{"acme", "globex"}));

  rocksdb::WriteBatch batch;
  std::set<uint32_t> moved;
  auto n = store_->StageRewrap("acme", *to, &batch, &moved);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 3u) << "two data keys and the export key";
  EXPECT_EQ(moved, (std::set<uint32_t>{1, 2}));
  Commit(&batch);

  auto after = store_->Census(*to);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->keys_per_master, (std::map<uint32_t, size_t>{{1, 1}, {*to, 3}}));
  EXPECT_EQ(after->tenants_not_under, (std::set<std::string>{"globex"}));
  ExpectKey("acme", 1, 'a');
  ExpectKey("acme", 2, 'b');
  auto exp_again = store_->GetExportKey("acme", /*create=*/false, [] { return nullptr; });
  ASSERT_TRUE(exp_again.ok()) << exp_again.status().ToString();
  EXPECT_EQ(exp_again->key_id, exp->key_id);
  EXPECT_TRUE(exp_again->key.Equals(exp->key));

  rocksdb::WriteBatch none;
  moved.clear();
  auto again = store_->StageRewrap("acme", *to, &none, &moved);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0u);
  EXPECT_TRUE(moved.empty());
}

TEST_F(WrappedKeyStoreTest, AMalformedRecordIsDataLoss) {
  AddKey("acme", 1, 'a');
  ASSERT_TRUE(storage_->db()->Put(storage_->meta_write_options(), storage_->system(), "dkey/acme/00000002", "{")
                  .ok());
  EXPECT_EQ(store_->Census(1).status().code(), Code::kDataLoss);
  rocksdb::WriteBatch batch;
  std::set<uint32_t> moved;
  // Key 1 is under master version 1 already: the scan reaches key 2.
  EXPECT_EQ(store_->StageRewrap("acme", 1, &batch, &moved).status().code(), Code::kDataLoss);
  EXPECT_EQ(store_->UnwrapDataKey("acme", 2).status().code(), Code::kDataLoss);
}

TEST_F(WrappedKeyStoreTest, ExportKeysAreMadeOnlyForALiveOwner) {
  auto none = store_->GetExportKey("acme", /*create=*/false, [] { return nullptr; });
  EXPECT_EQ(none.status().reason(), "export_key_not_found");
  auto owner = TenantNamed("acme");
  auto not_asked = store_->GetExportKey("acme", /*create=*/false, [&] { return owner; });
  EXPECT_EQ(not_asked.status().reason(), "export_key_not_found");
  auto no_owner = store_->GetExportKey("acme", /*create=*/true, [] { return nullptr; });
  EXPECT_EQ(no_owner.status().reason(), "export_key_not_found");

  // The owner is deleted while the key is made: the record does not stay.
  int asked = 0;
  auto raced = store_->GetExportKey("acme", /*create=*/true, [&]() -> std::shared_ptr<Tenant> {
    return ++asked == 1 ? owner : nullptr;
  });
  EXPECT_EQ(raced.status().reason(), "tenant_not_found");
  EXPECT_EQ(asked, 2);
  auto count = store_->CountRecords("acme");
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 0u);

  auto made = store_->GetExportKey("acme", /*create=*/true, [&] { return owner; });
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_EQ(made->key_id.size(), 16u);
  auto read = store_->GetExportKey("acme", /*create=*/true, [&] { return owner; });
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->key_id, made->key_id);
  EXPECT_TRUE(read->key.Equals(made->key));
}

TEST_F(WrappedKeyStoreTest, DestroyAllTakesEveryRecordOfOneTenant) {
  AddKey("acme", 1, 'a');
  AddKey("acme", 2, 'b');
  AddKey("acme2", 1, 'c');  // shares the prefix "acme" but not "acme/"
  rocksdb::WriteBatch one;
  ASSERT_TRUE(store_->StageDestroyDataKey("acme", 1, &one).ok());
  Commit(&one);
  ASSERT_TRUE(store_->PurgeDataKey("acme", 1).ok());
  EXPECT_EQ(store_->UnwrapDataKey("acme", 1).status().code(), Code::kNotFound);
  ExpectKey("acme", 2, 'b');

  rocksdb::WriteBatch all;
  ASSERT_TRUE(store_->StageDestroyAll("acme", &all).ok());
  Commit(&all);
  ASSERT_TRUE(store_->PurgeAll("acme").ok());
  auto count = store_->CountRecords("acme");
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 0u);
  ExpectKey("acme2", 1, 'c');
}

}  // namespace
}  // namespace tenantkv::engine::testutil
