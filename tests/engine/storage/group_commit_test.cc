// GroupCommit: batches merged into one write keep their records and order;
// concurrent writers all commit, each batch whole; a failed commit reaches
// every writer of its group.
#include "engine/storage/group_commit.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/test_util.h"

namespace tenantkv::engine::testutil {
namespace {

// Records what a batch holds, one line a record.
class Recorder : public rocksdb::WriteBatch::Handler {
 public:
  rocksdb::Status PutCF(uint32_t cf, const rocksdb::Slice& k, const rocksdb::Slice& v) override {
    lines.push_back("put " + std::to_string(cf) + " " + k.ToString() + "=" + v.ToString());
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteCF(uint32_t cf, const rocksdb::Slice& k) override {
    lines.push_back("delete " + std::to_string(cf) + " " + k.ToString());
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteRangeCF(uint32_t cf, const rocksdb::Slice& b, const rocksdb::Slice& e) override {
    lines.push_back("delete-range " + std::to_string(cf) + " " + b.ToString() + ".." + e.ToString());
    return rocksdb::Status::OK();
  }
  std::vector<std::string> lines;
};

std::vector<std::string> Records(rocksdb::WriteBatch& b) {
  Recorder r;
  EXPECT_TRUE(b.Iterate(&r).ok());
  return r.lines;
}

struct Db {
  explicit Db(const std::string& path) {
    rocksdb::Options o;
    o.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    EXPECT_TRUE(rocksdb::DB::Open(o, path, &raw).ok());
    db.reset(raw);
    rocksdb::ColumnFamilyHandle* h = nullptr;
    EXPECT_TRUE(db->CreateColumnFamily(rocksdb::ColumnFamilyOptions(), "b", &h).ok());
    b.reset(h);
  }
  ~Db() {
    b.reset();
    db.reset();
  }
  std::string Read(rocksdb::ColumnFamilyHandle* cf, const std::string& k) {
    std::string v;
    rocksdb::Status s = db->Get(rocksdb::ReadOptions(), cf, k, &v);
    return s.ok() ? v : s.IsNotFound() ? "<none>" : s.ToString();
  }
  std::unique_ptr<rocksdb::DB> db;
  std::unique_ptr<rocksdb::ColumnFamilyHandle> b;
};

TEST(GroupCommit, AMergedBatchHoldsEveryRecordInOrderAndWritesAsTheyWouldInTurn) {
  TempDir dir;
  Db d(dir.Sub("db"));
  rocksdb::ColumnFamilyHandle* def = d.db->DefaultColumnFamily();
  rocksdb::WriteBatch one, two, three;
  ASSERT_TRUE(one.Put(def, "k1", "v1").ok());
  ASSERT_TRUE(one.Put(d.b.get(), "x", "1").ok());
  ASSERT_TRUE(two.Delete(def, "k1").ok());
  ASSERT_TRUE(two.Put(def, "k2", "v2").ok());
  ASSERT_TRUE(three.Put(d.b.get(), "x", "2").ok());
  ASSERT_TRUE(three.DeleteRange(def, "r0", "r9").ok());
  ASSERT_TRUE(d.db->Put(rocksdb::WriteOptions(), def, "r5", "gone").ok());

  rocksdb::WriteBatch merged = GroupCommit::Merge({&one, &two, &three});
  EXPECT_EQ(merged.Count(), one.Count() + two.Count() + three.Count());
  std::vector<std::string> expected;
  for (rocksdb::WriteBatch* b : {&one, &two, &three}) {
    for (const auto& line : Records(*b)) expected.push_back(line);
  }
  EXPECT_EQ(Records(merged), expected);
  ASSERT_EQ(expected.size(), 6u);

  ASSERT_TRUE(d.db->Write(rocksdb::WriteOptions(), &merged).ok());
  EXPECT_EQ(d.Read(def, "k1"), "<none>");
  EXPECT_EQ(d.Read(def, "k2"), "v2");
  EXPECT_EQ(d.Read(d.b.get(), "x"), "2");
  EXPECT_EQ(d.Read(def, "r5"), "<none>");
}

TEST(GroupCommit, ConcurrentWritersAllCommitEachBatchWhole) {
  TempDir dir;
  Db d(dir.Sub("db"));
  rocksdb::WriteOptions wo;
  wo.sync = true;
  GroupCommit gc(d.db.get(), wo, 1000);
  constexpr int kThreads = 8;
  constexpr int kWrites = 40;
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        rocksdb::WriteBatch b;
        const std::string k = std::to_string(t) + "/" + std::to_string(i);
        b.Put(d.db->DefaultColumnFamily(), k, "a" + k).PermitUncheckedError();
        b.Put(d.b.get(), k, "b" + k).PermitUncheckedError();
        if (!gc.Write(&b).ok()) ++failures[t];
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kWrites; ++i) {
      const std::string k = std::to_string(t) + "/" + std::to_string(i);
      EXPECT_EQ(d.Read(d.db->DefaultColumnFamily(), k), "a" + k);
      EXPECT_EQ(d.Read(d.b.get(), k), "b" + k);
    }
  }
  const GroupCommitStats st = gc.stats();
  EXPECT_EQ(st.writes, uint64_t{kThreads * kWrites});
  EXPECT_GE(st.commits, 1u);
  EXPECT_LE(st.commits, st.writes);
}

TEST(GroupCommit, AFailedCommitReachesEveryWriterAndNothingIsWritten) {
  TempDir dir;
  Db d(dir.Sub("db"));
  rocksdb::WriteOptions wo;
  wo.sync = true;
  wo.disableWAL = true;  // RocksDB refuses a synced write without a WAL
  GroupCommit gc(d.db.get(), wo, 1000);
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        rocksdb::WriteBatch b;
        b.Put(d.db->DefaultColumnFamily(), std::to_string(t * 100 + i), "v").PermitUncheckedError();
        if (!gc.Write(&b).ok()) ++failures[t];
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(failures[t], 10) << "thread " << t;
  EXPECT_EQ(d.Read(d.db->DefaultColumnFamily(), "0"), "<none>");
  EXPECT_EQ(gc.stats().writes, 40u);
}

}  // namespace
}  // namespace tenantkv::engine::testutil
