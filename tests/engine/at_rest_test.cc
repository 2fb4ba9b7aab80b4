// Values are never on disk in plaintext: a scan of every file the engine
// wrote (WAL, SSTs, MANIFEST, OPTIONS, LOG) finds none of them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crypto/random.h"
#include "tests/testing/test_util.h"

namespace tenantkv::engine::testutil {
namespace {

std::string Marker() { return crypto::RandomHex(16).value(); }  // 32 hex chars

TEST(AtRest, NoValueMarkerIsFoundInAnyFile) {
  EngineHarness h;
  std::vector<std::string> value_markers;
  // Positive control: user keys are stored as they are, so the scan must
  // find them. Keys in SSTs are prefix-compressed (and maybe compressed), so
  // only keys still in the WAL are certain to appear whole.
  std::vector<std::string> flushed_key_markers;
  std::vector<std::string> wal_key_markers;
  ASSERT_TRUE(h.Open());
  for (const std::string tenant : {"acme", "globex"}) {
    ASSERT_TRUE(h->tenants().Create(tenant, "").ok());
    TenantStore& store = h.Store(tenant);
    for (int i = 0; i < 150; ++i) {
      const std::string m = Marker();
      const std::string k = Marker();
      PutOptions o;
      if (i % 5 == 0) o.ttl_seconds = 3600;
      ASSERT_TRUE(store.Put("key-" + k, "value:" + m + ":end", o).ok());
      value_markers.push_back(m);
      flushed_key_markers.push_back(k);
    }
    for (int b = 0; b < 5; ++b) {
      std::vector<BatchOp> ops;
      for (int i = 0; i < 10; ++i) {
        const std::string m = Marker();
        ops.push_back({BatchOpType::kPut, "batch-" + Marker(), m + m});
        value_markers.push_back(m);
      }
      ASSERT_TRUE(store.Batch(ops).ok());
    }
    // Overwritten values must not linger in plaintext either.
    const std::string old = Marker();
    ASSERT_TRUE(store.Put("overwritten", old, {}).ok());
    ASSERT_TRUE(store.Put("overwritten", "new", {}).ok());
    value_markers.push_back(old);
  }
  ASSERT_TRUE(h->Flush().ok());
  // More writes after the flush, so the live WAL holds values too.
  for (int i = 0; i < 10; ++i) {
    const std::string m = Marker();
    const std::string k = Marker();
    PutOptions o;
    o.ttl_seconds = i % 2 == 0 ? 60 : 0;
    ASSERT_TRUE(h.Store("acme").Put("late-" + k, m, o).ok());
    value_markers.push_back(m);
    wal_key_markers.push_back(k);
  }
  h.Close();

  const auto files = ReadAllFiles(h.data_dir());
  size_t sst = 0, wal = 0, total_bytes = 0;
  for (const auto& [path, bytes] : files) {
    if (path.size() > 4 && path.substr(path.size() - 4) == ".sst") ++sst;
    if (path.size() > 4 && path.substr(path.size() - 4) == ".log") ++wal;
    total_bytes += bytes.size();
  }
  EXPECT_GT(sst, 0u);
  EXPECT_GT(wal, 0u);
  EXPECT_GT(total_bytes, 0u);

  for (const auto& k : wal_key_markers) {
    EXPECT_FALSE(FilesContaining(files, k).empty()) << "control: key " << k << " not found";
  }
  size_t flushed_found = 0;
  for (const auto& k : flushed_key_markers) {
    flushed_found += FilesContaining(files, k.substr(k.size() - 12)).empty() ? 0 : 1;
  }
  // The SSTs store key suffixes verbatim: prefix compression shares at most
  // a few leading hex digits between random keys, and blocks dominated by
  // ciphertext do not compress, so RocksDB stores them raw.
  EXPECT_EQ(flushed_found, flushed_key_markers.size()) << "control: flushed keys not found in the SSTs";

  ASSERT_GT(value_markers.size(), 400u);
  for (const auto& m : value_markers) {
    const auto hits = FilesContaining(files, m);
    EXPECT_TRUE(hits.empty()) << "value marker " << m << " found in plaintext in " << hits.front();
  }

  // And the engine still reads them all back.
  ASSERT_TRUE(h.Open());
  ListRequest req;
  req.limit = 1000;
  EXPECT_EQ(h.Store("acme").List(req)->items.size(), 150u + 50u + 1u + 10u);
}

}  // namespace
}  // namespace tenantkv::engine::testutil
