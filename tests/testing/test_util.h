// Helpers shared by the engine tests: a temp dir, a key provider whose keys
// survive an engine restart, engine setup and a raw scan of files on disk.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/merge_operator.h>

#include "tests/testing/memory_key_provider.h"
#include "engine/clock.h"
#include "engine/engine.h"
#include "engine/storage/storage.h"
#include "tests/testing/fake_clock.h"

namespace tenantkv::engine::testutil {

namespace fs = std::filesystem;

// A fresh directory under the system temp dir, removed with its contents.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "tkv_engine_XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }
  std::string Sub(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

// Options of a small Storage at `path` (8 MiB block cache, 32 MiB of
// memtables), for tests that open storage without a whole engine.
inline StorageOptions SmallStorageOptions(const std::string& path) {
  StorageOptions so;
  so.path = path;
  so.block_cache_bytes = 8 << 20;
  so.memtable_budget_bytes = 32 << 20;
  return so;
}

// A bare tenant named `id`, in no registry, for tests of the registry's
// parts (the directory, the wrapped-key store) that only need an owner.
inline std::shared_ptr<Tenant> TenantNamed(const std::string& id) {
  TenantInfo info;
  info.id = id;
  return std::make_shared<Tenant>(std::move(info));
}

// Forwards to a MemoryKeyProvider shared with the test, so that an engine
// reopened over the same data dir sees the same master keys. While
// `*fail_wraps` is set, wraps fail as an unreachable HSM's would.
class SharedKeyProvider final : public crypto::KeyProvider {
 public:
  explicit SharedKeyProvider(std::shared_ptr<crypto::MemoryKeyProvider> keys,
                             std::shared_ptr<std::atomic<bool>> fail_wraps = nullptr)
      : keys_(std::move(keys)), fail_wraps_(std::move(fail_wraps)) {}
  uint32_t CurrentVersion() const override { return keys_->CurrentVersion(); }
  std::vector<uint32_t> Versions() const override { return keys_->Versions(); }
  Result<std::string> Wrap(uint32_t version, std::string_view context,
                           const crypto::SecretBytes& plain) const override {
    if (fail_wraps_ != nullptr && fail_wraps_->load()) {
      return Status::Unavailable("the key provider is unreachable (test)", "key_unavailable");
    }
    return keys_->Wrap(version, context, plain);
  }
  Result<crypto::SecretBytes> Unwrap(uint32_t version, std::string_view context,
                                     std::string_view wrapped) const override {
    return keys_->Unwrap(version, context, wrapped);
  }
  Result<uint32_t> AddVersion() override { return keys_->AddVersion(); }
  Status Retire(uint32_t version) override { return keys_->Retire(version); }
  std::string Describe() const override { return "shared-memory"; }

 private:
  std::shared_ptr<crypto::MemoryKeyProvider> keys_;
  std::shared_ptr<std::atomic<bool>> fail_wraps_;
};

// One data dir, one fake clock and one set of master keys; the engine can
// be closed and reopened over them.
class EngineHarness {
 public:
  explicit EngineHarness(size_t max_value_bytes = 1 << 20)
      : keys_(std::make_shared<crypto::MemoryKeyProvider>()) {
    options_.data_dir = dir_.Sub("data");
    options_.clock = &clock_;
    options_.max_value_bytes = max_value_bytes;
    options_.block_cache_bytes = 8 << 20;
    options_.memtable_budget_bytes = 32 << 20;
    options_.spare_column_families = 4;  // quick start-ups
  }

  // Opens (or reopens) the engine; false and a test failure if it fails.
  [[nodiscard]] bool Open() {
    engine_.reset();
    auto e = Engine::Open(options_, std::make_unique<SharedKeyProvider>(keys_, fail_wraps_));
    if (!e.ok()) {
      ADD_FAILURE() << "Engine::Open: " << e.status().ToString();
      return false;
    }
    engine_ = std::move(e).value();
    return true;
  }
  void Close() { engine_.reset(); }

  Engine& engine() { return *engine_; }
  // Applied at the next Open().
  EngineOptions& options() { return options_; }
  Engine* operator->() { return engine_.get(); }
  FakeClock& clock() { return clock_; }
  const std::string& data_dir() const { return options_.data_dir; }
  std::string db_dir() const { return options_.data_dir + "/db"; }
  const TempDir& temp() const { return dir_; }
  std::shared_ptr<crypto::MemoryKeyProvider> shared_keys() const { return keys_; }
  // Makes the key provider's wraps fail (new data keys, rotations) or work.
  void FailWraps(bool fail) { fail_wraps_->store(fail); }

  // The store of a tenant that must exist. The returned pointer is valid
  // while the engine is open and the tenant not deleted.
  TenantStore& Store(const std::string& id) {
    auto t = engine_->tenants().Get(id);
    if (!t.ok()) {
      ADD_FAILURE() << "no tenant " << id << ": " << t.status().ToString();
      std::abort();
    }
    return (*t)->store();
  }
  // An operator's update of tenant `id`'s current quota; a test failure if
  // it is refused.
  void ChangeQuota(const std::string& id, const std::function<void(Quota&)>& change) {
    auto current = engine_->quotas().Current(id);
    ASSERT_TRUE(current.ok()) << current.status().ToString();
    Quota q = current->quota;
    change(q);
    auto m = engine_->UpdateQuota(id, q, "operator", /*by_tenant_admin=*/false);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
  }
  // The live tenant `id`, or nullptr and a test failure.
  std::shared_ptr<Tenant> TenantOf(const std::string& id) {
    auto t = engine_->tenants().Get(id);
    EXPECT_TRUE(t.ok()) << "no tenant " << id << ": " << t.status().ToString();
    return t.ok() ? *t : nullptr;
  }

 private:
  TempDir dir_;
  FakeClock clock_;
  std::shared_ptr<crypto::MemoryKeyProvider> keys_;
  std::shared_ptr<std::atomic<bool>> fail_wraps_ = std::make_shared<std::atomic<bool>>(false);
  EngineOptions options_;
  std::unique_ptr<Engine> engine_;
};

inline std::string ReadFileBytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Every regular file under `root`, recursively, with its bytes. A file that
// RocksDB deletes while the scan runs (a compaction finishing) is skipped:
// its bytes are no longer on disk.
inline std::vector<std::pair<std::string, std::string>> ReadAllFiles(const fs::path& root) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    std::error_code gone;
    if (entry.is_regular_file(gone)) out.emplace_back(entry.path().string(), ReadFileBytes(entry.path()));
  }
  return out;
}

// Paths of the files under `root` that contain `needle`.
inline std::vector<std::string> FilesContaining(
    const std::vector<std::pair<std::string, std::string>>& files, const std::string& needle) {
  std::vector<std::string> hits;
  for (const auto& [path, bytes] : files) {
    if (bytes.find(needle) != std::string::npos) hits.push_back(path);
  }
  return hits;
}

// Runs tenant `id`'s re-encryption job to its end, one step at a time;
// the number of steps (-1, with a test failure, if it does not end).
inline int DrainReencryption(Engine& e, const std::string& id) {
  for (int steps = 1; steps < 10'000; ++steps) {
    auto done = e.key_lifecycle().StepForTest(id);
    EXPECT_TRUE(done.ok()) << done.status().ToString();
    if (!done.ok() || *done) return steps;
  }
  ADD_FAILURE() << "re-encryption did not finish";
  return -1;
}

// The engine's RocksDB opened directly (the engine must be closed), for
// tests that tamper with or inspect stored bytes.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    rocksdb::DBOptions db_opts;
    std::vector<std::string> names;
    rocksdb::Status s = rocksdb::DB::ListColumnFamilies(db_opts, path, &names);
    if (!s.ok()) {
      ADD_FAILURE() << "ListColumnFamilies: " << s.ToString();
      return;
    }
    std::vector<rocksdb::ColumnFamilyDescriptor> descs;
    for (const auto& n : names) {
      rocksdb::ColumnFamilyOptions cf;
      if (n == "tenantkv.system") cf.merge_operator = NewUsageMergeOperator();
      descs.emplace_back(n, cf);
    }
    rocksdb::DB* raw = nullptr;
    s = rocksdb::DB::Open(db_opts, path, descs, &handles_, &raw);
    if (!s.ok()) {
      ADD_FAILURE() << "DB::Open: " << s.ToString();
      handles_.clear();
      return;
    }
    db_.reset(raw);
    names_ = names;
  }
  ~RawDb() {
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    if (db_) db_->Close().PermitUncheckedError();
  }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  bool ok() const { return db_ != nullptr; }
  rocksdb::DB* db() { return db_.get(); }
  const std::vector<std::string>& names() const { return names_; }

  // The column family named `name`; nullptr if none.
  rocksdb::ColumnFamilyHandle* Cf(const std::string& name) {
    for (size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] == name) return handles_[i];
    }
    return nullptr;
  }
  // The column family whose name starts with `prefix`; nullptr if none.
  rocksdb::ColumnFamilyHandle* CfStartingWith(const std::string& prefix) {
    for (size_t i = 0; i < names_.size(); ++i) {
      if (names_[i].rfind(prefix, 0) == 0) return handles_[i];
    }
    return nullptr;
  }
  // The column family of tenant `id`, as its record's placement names it
  // ("cf:<name>"); nullptr if the tenant or its column family is missing.
  rocksdb::ColumnFamilyHandle* TenantCf(const std::string& id) {
    rocksdb::ColumnFamilyHandle* sys = SystemCf();
    std::string record;
    if (sys == nullptr || !db_->Get(rocksdb::ReadOptions(), sys, "tenant/" + id, &record).ok()) return nullptr;
    const std::string tag = "\"placement\":\"cf:";
    size_t at = record.find(tag);
    if (at == std::string::npos) return nullptr;
    at += tag.size();
    const std::string name = record.substr(at, record.find('"', at) - at);
    for (size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] == name) return handles_[i];
    }
    return nullptr;
  }
  rocksdb::ColumnFamilyHandle* SystemCf() { return CfStartingWith("tenantkv.system"); }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::vector<std::string> names_;
};

// The prefix counter a pooled placement names ("pool:<cf>/<16 hex>").
inline uint64_t CounterOf(const std::string& placement) {
  EXPECT_EQ(placement.rfind("pool:", 0), 0u) << placement;
  return std::stoull(placement.substr(placement.rfind('/') + 1), nullptr, 16);
}

// The key prefix of pooled-placement counter `counter` (8 bytes, big-endian).
inline std::string PrefixBytes(uint64_t counter) {
  std::string out(kPooledKeyPrefixBytes, '\0');
  for (size_t i = 0; i < kPooledKeyPrefixBytes; ++i) out[7 - i] = static_cast<char>(counter >> (8 * i));
  return out;
}

// Entries of column family `cf_name` whose key starts with `prefix`, read
// with the engine closed.
inline size_t EntriesUnder(const std::string& db_dir, const std::string& cf_name, const std::string& prefix) {
  RawDb raw(db_dir);
  EXPECT_TRUE(raw.ok());
  if (!raw.ok()) return 0;
  rocksdb::ColumnFamilyHandle* cf = raw.CfStartingWith(cf_name);
  EXPECT_NE(cf, nullptr);
  if (cf == nullptr) return 0;
  rocksdb::ReadOptions ro;
  ro.total_order_seek = true;
  std::unique_ptr<rocksdb::Iterator> it(raw.db()->NewIterator(ro, cf));
  size_t n = 0;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) ++n;
  EXPECT_TRUE(it->status().ok()) << it->status().ToString();
  return n;
}

// Every live key and value of tenant `tenant` of `e`, listed page by page.
inline std::map<std::string, std::string> ReadAll(Engine& e, const std::string& tenant) {
  std::map<std::string, std::string> out;
  auto t = e.tenants().Get(tenant);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  if (!t.ok()) return out;
  ListRequest req;
  req.limit = kMaxListLimit;
  req.with_values = true;
  for (;;) {
    auto page = (*t)->store().List(req);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (!page.ok()) return out;
    for (auto& item : page->items) out[item.key] = *item.value;
    if (!page->next) return out;
    req.start_after = page->next;
  }
}

}  // namespace tenantkv::engine::testutil
