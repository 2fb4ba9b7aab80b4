// WriteKeyNoter (the keys of one tenant's range a batch writes) and
// NotedKeys (what a write gate keeps of them, bounded in bytes).
#include "engine/kv/write_key_noter.h"

#include <gtest/gtest.h>
#include <rocksdb/comparator.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <set>
#include <string>
#include <vector>

namespace tenantkv::engine {
namespace {

// A column family handle that only has an id (all a batch asks of it).
class FakeFamily : public rocksdb::ColumnFamilyHandle {
 public:
  explicit FakeFamily(uint32_t id) : id_(id) {}
  const std::string& GetName() const override { return name_; }
  uint32_t GetID() const override { return id_; }
  rocksdb::Status GetDescriptor(rocksdb::ColumnFamilyDescriptor*) override { return rocksdb::Status::NotSupported(); }
  const rocksdb::Comparator* GetComparator() const override { return rocksdb::BytewiseComparator(); }

 private:
  uint32_t id_;
  std::string name_ = "fake";
};

FakeFamily cf7(7), cf8(8);

// A batch on column family 7 for prefix "t1/" (and some other range).
rocksdb::WriteBatch Batch(const std::vector<std::string>& keys) {
  rocksdb::WriteBatch b;
  for (const std::string& k : keys) EXPECT_TRUE(b.Put(&cf7, "t1/" + k, "v").ok());
  EXPECT_TRUE(b.Put(&cf7, "t2/other", "v").ok());      // another tenant's prefix
  EXPECT_TRUE(b.Put(&cf8, "t1/elsewhere", "v").ok());  // another column family
  return b;
}

void Note(NotedKeys& noted, const rocksdb::WriteBatch& batch, size_t max_bytes) {
  WriteKeyNoter noter(7, "t1/");
  const bool readable = batch.Iterate(&noter).ok();
  noted.Add(noter, readable, max_bytes);
}

TEST(WriteKeyNoter, NotesTheTenantsKeysOnly) {
  WriteKeyNoter noter(7, "t1/");
  rocksdb::WriteBatch b = Batch({"a", "b"});
  ASSERT_TRUE(b.Delete(&cf7, "t1/c").ok());
  ASSERT_TRUE(b.Iterate(&noter).ok());
  EXPECT_EQ(noter.keys, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_FALSE(noter.whole);
  rocksdb::WriteBatch range;
  ASSERT_TRUE(range.DeleteRange(&cf7, "t1/a", "t1/z").ok());
  ASSERT_TRUE(range.Iterate(&noter).ok());
  EXPECT_TRUE(noter.whole);
}

TEST(NotedKeys, KeepsKeysUpToItsBoundThenOverflows) {
  NotedKeys noted;
  Note(noted, Batch({"aa", "bb"}), 6);
  EXPECT_EQ(noted.keys, (std::set<std::string>{"aa", "bb"}));
  EXPECT_EQ(noted.bytes, 4u);
  Note(noted, Batch({"aa"}), 6);  // noted already: no more bytes
  EXPECT_EQ(noted.bytes, 4u);
  Note(noted, Batch({"cc", "dd"}), 6);  // 8 bytes > 6
  EXPECT_TRUE(noted.overflowed);
  EXPECT_TRUE(noted.keys.empty());
  EXPECT_EQ(noted.bytes, 0u);
  Note(noted, Batch({"ee"}), 6);  // stays overflowed
  EXPECT_TRUE(noted.keys.empty());
  noted.Reset();
  EXPECT_FALSE(noted.overflowed);
  Note(noted, Batch({"ff"}), 6);
  EXPECT_EQ(noted.keys, (std::set<std::string>{"ff"}));
}

TEST(NotedKeys, ARangeDeleteOverflows) {
  NotedKeys noted;
  Note(noted, Batch({"a"}), 100);
  rocksdb::WriteBatch range;
  ASSERT_TRUE(range.DeleteRange(&cf7, "t1/a", "t1/z").ok());
  Note(noted, range, 100);
  EXPECT_TRUE(noted.overflowed);
  EXPECT_TRUE(noted.keys.empty());
}

TEST(NotedKeys, TakeAndPutBackKeepTheByteCount) {
  NotedKeys noted;
  Note(noted, Batch({"a", "bb", "ccc"}), 100);
  std::vector<std::string> first = noted.Take(2);
  EXPECT_EQ(first, (std::vector<std::string>{"a", "bb"}));
  EXPECT_EQ(noted.bytes, 3u);
  noted.PutBack("bb");
  EXPECT_EQ(noted.bytes, 5u);
  EXPECT_EQ(noted.keys, (std::set<std::string>{"bb", "ccc"}));
  noted.overflowed = true;
  noted.PutBack("a");  // dropped: the owner compares the whole range anyway
  EXPECT_EQ(noted.keys.count("a"), 0u);
}

// A tier move's catch-up takes every key noted so far; the bound then
// counts only what is noted after (the bytes taken no longer count).
TEST(NotedKeys, TakeAllStartsTheBoundAfresh) {
  NotedKeys noted;
  Note(noted, Batch({"aaaa", "bbbb"}), 10);
  EXPECT_EQ(noted.TakeAll(), (std::set<std::string>{"aaaa", "bbbb"}));
  EXPECT_EQ(noted.bytes, 0u);
  Note(noted, Batch({"cccc", "dddd"}), 10);  // 8 bytes, not 16
  EXPECT_FALSE(noted.overflowed);
  EXPECT_EQ(noted.keys.size(), 2u);
}

}  // namespace
}  // namespace tenantkv::engine
