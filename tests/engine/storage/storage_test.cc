// Storage: a purge of deleted system records that a live snapshot holds
// back runs again once the snapshot is released, or at the next start.
#include "engine/storage/storage.h"

#include <gtest/gtest.h>
#include <rocksdb/utilities/checkpoint.h>

#include <memory>
#include <string>

#include "tests/testing/test_util.h"

namespace tenantkv::engine::testutil {
namespace {

// Stands for a wrapped key: bytes found in the files only while the record is.
constexpr char kSecret[] = "wrapped-5f1e0c7a9b3d2468ace13579bdf02468-acme";
constexpr char kRecord[] = "dkey/acme/00000001";
constexpr char kBegin[] = "dkey/acme/";
constexpr char kEnd[] = "dkey/acme0";

std::unique_ptr<Storage> OpenAt(const std::string& path) {
  StorageOptions o;
  o.path = path;
  auto s = Storage::Open(o);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

void PutRecords(Storage& s) {
  ASSERT_TRUE(s.db()->Put(s.meta_write_options(), s.system(), kRecord, kSecret).ok());
  ASSERT_TRUE(s.db()->Put(s.meta_write_options(), s.system(), "dkey/globex/00000001", "globex").ok());
  ASSERT_TRUE(s.Flush().ok());
}

bool OnDisk(const std::string& dir) { return !FilesContaining(ReadAllFiles(dir), kSecret).empty(); }

TEST(Storage, APurgeHeldBackBySnapshotRunsWhenItIsReleasedOrAtTheNextOpen) {
  TempDir dir;
  const std::string db = dir.Sub("db");
  const std::string crashed = dir.Sub("crashed");
  {
    auto s = OpenAt(db);
    ASSERT_NE(s, nullptr);
    PutRecords(*s);
    auto snap = s->TakeSnapshot();
    ASSERT_TRUE(s->db()->Delete(s->meta_write_options(), s->system(), kRecord).ok());
    ASSERT_TRUE(s->PurgeSystemRange(kBegin, kEnd).ok());
    EXPECT_EQ(s->Stats().pending_purges, 1u);
    EXPECT_TRUE(OnDisk(db)) << "control: compaction keeps what a live snapshot sees";

    // The DB as a crash now would leave it.
    rocksdb::Checkpoint* raw = nullptr;
    ASSERT_TRUE(rocksdb::Checkpoint::Create(s->db(), &raw).ok());
    std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
    ASSERT_TRUE(checkpoint->CreateCheckpoint(crashed).ok());

    snap.reset();
    EXPECT_EQ(s->Stats().pending_purges, 0u);
    EXPECT_FALSE(OnDisk(db)) << "still in " << ::testing::PrintToString(FilesContaining(ReadAllFiles(db), kSecret));
  }
  ASSERT_TRUE(OnDisk(crashed)) << "control: the crash image holds the record";
  auto s = OpenAt(crashed);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->Stats().pending_purges, 0u);
  EXPECT_FALSE(OnDisk(crashed)) << "still in "
                                << ::testing::PrintToString(FilesContaining(ReadAllFiles(crashed), kSecret));
  std::string v;
  EXPECT_TRUE(s->db()->Get(rocksdb::ReadOptions(), s->system(), "dkey/globex/00000001", &v).ok());
  EXPECT_TRUE(s->db()->Get(rocksdb::ReadOptions(), s->system(), kRecord, &v).IsNotFound());
}

TEST(Storage, ASnapshotNewerThanTheDeleteDoesNotHoldThePurgeBack) {
  TempDir dir;
  const std::string db = dir.Sub("db");
  auto s = OpenAt(db);
  ASSERT_NE(s, nullptr);
  PutRecords(*s);
  ASSERT_TRUE(s->db()->Delete(s->meta_write_options(), s->system(), kRecord).ok());
  auto snap = s->TakeSnapshot();
  ASSERT_TRUE(s->PurgeSystemRange(kBegin, kEnd).ok());
  EXPECT_EQ(s->Stats().pending_purges, 0u);
  EXPECT_FALSE(OnDisk(db));
}

}  // namespace
}  // namespace tenantkv::engine::testutil
