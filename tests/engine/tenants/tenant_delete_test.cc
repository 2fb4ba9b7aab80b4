// Deleting a tenant is crypto-shredding: its data keys are destroyed and
// purged from the DB's files, its column family emptied (and handed back to
// the column-family pool), other tenants untouched.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/kv/cf_tenant_store.h"
#include "tests/testing/test_util.h"

namespace tenantkv::engine::testutil {
namespace {

// Every wrapped data key (hex) found in a data-key record in any file.
// (A plain scan: std::regex trips a GCC false warning in the ASan build.)
std::set<std::string> WrappedKeysOnDisk(const std::string& dir) {
  static const std::string kField = "\"wrapped\":\"";
  std::set<std::string> out;
  for (const auto& [path, bytes] : ReadAllFiles(dir)) {
    for (size_t at = bytes.find(kField); at != std::string::npos; at = bytes.find(kField, at + 1)) {
      const size_t begin = at + kField.size();
      size_t end = begin;
      while (end < bytes.size() && std::isxdigit(static_cast<unsigned char>(bytes[end])) &&
             !std::isupper(static_cast<unsigned char>(bytes[end]))) {
        ++end;
      }
      if (end - begin >= 40 && end < bytes.size() && bytes[end] == '"') {
        out.insert(bytes.substr(begin, end - begin));
      }
    }
  }
  return out;
}

void WriteSome(TenantStore& store, const std::string& tag, int n) {
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(store.Put("k" + std::to_string(i), tag + std::to_string(i), {}).ok());
  }
}

TEST(TenantDelete, DropsTheTenantAndKeepsOthers) {
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->tenants().Create("acme", "").ok());
  ASSERT_TRUE(h->tenants().Create("globex", "").ok());
  const std::string acme_cf = (*h->tenants().Get("acme"))->Info().placement.substr(3);
  WriteSome(h.Store("acme"), "acme-", 50);
  WriteSome(h.Store("globex"), "globex-", 50);
  auto acme_key = h->api_keys().Create("acme", Role::kAdmin);
  ASSERT_TRUE(acme_key.ok());
  ASSERT_TRUE(h->Flush().ok());
  WriteSome(h.Store("acme"), "acme2-", 10);

  // A backup taken before the delete (with the engine closed).
  h.Close();
  const std::string backup = h.temp().Sub("backup");
  std::filesystem::copy(h.data_dir(), backup, std::filesystem::copy_options::recursive);
  ASSERT_TRUE(h.Open());

  {
    // A request in flight holds the tenant; after the delete it reads nothing.
    auto in_flight = h->tenants().Get("acme");
    ASSERT_TRUE(in_flight.ok());
    ASSERT_TRUE(h->DeleteTenant("acme").ok());
    auto v = (*in_flight)->store().Get("k1");
    EXPECT_FALSE(v.ok()) << "read after delete: " << v->value;
    EXPECT_FALSE((*in_flight)->store().Put("k1", "zombie", {}).ok());
  }
  EXPECT_EQ(h->tenants().Get("acme").status().code(), Code::kNotFound);
  ASSERT_EQ(h->tenants().List().size(), 1u);
  EXPECT_EQ(h->tenants().List()[0]->id(), "globex");
  EXPECT_FALSE(h->api_keys().Authenticate(acme_key->token).ok());
  EXPECT_EQ(h.Store("globex").Get("k7")->value, "globex-7");

  // acme's column family goes back to the pool, emptied.
  ASSERT_TRUE(h->tenants().cf_pool().Maintain().ok());
  h.Close();
  {
    RawDb raw(h.db_dir());
    ASSERT_TRUE(raw.ok());
    rocksdb::ColumnFamilyHandle* cf = raw.CfStartingWith(acme_cf);
    ASSERT_NE(cf, nullptr);
    std::unique_ptr<rocksdb::Iterator> it(raw.db()->NewIterator(rocksdb::ReadOptions(), cf));
    it->SeekToFirst();
    EXPECT_FALSE(it->Valid()) << "acme's data survived the delete";
    EXPECT_EQ(raw.TenantCf("acme"), nullptr);
    EXPECT_NE(raw.TenantCf("globex"), nullptr);
  }

  ASSERT_TRUE(h.Open());
  EXPECT_EQ(h->tenants().Get("acme").status().code(), Code::kNotFound);
  ASSERT_EQ(h->tenants().List().size(), 1u);
  for (int i = 0; i < 50; ++i) {
    auto v = h.Store("globex").Get("k" + std::to_string(i));
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    EXPECT_EQ(v->value, "globex-" + std::to_string(i));
  }
  EXPECT_EQ(h.Store("globex").GetUsage().keys, 50);
  EXPECT_TRUE(h.Store("globex").Put("after", "delete", {}).ok());

  // Control: the backup is a real copy, so the delete above did something.
  h.Close();
  RawDb before(backup + "/db");
  ASSERT_TRUE(before.ok());
  ASSERT_NE(before.TenantCf("acme"), nullptr);
  std::unique_ptr<rocksdb::Iterator> it(before.db()->NewIterator(rocksdb::ReadOptions(), before.TenantCf("acme")));
  it->SeekToFirst();
  EXPECT_TRUE(it->Valid());
}

// The wrapped data key of `victim`, as found by scanning the files right
// after it was created (the only new "wrapped" record at that point).
std::string CreateAndFindWrappedKey(EngineHarness& h, const std::string& victim) {
  const std::set<std::string> before = WrappedKeysOnDisk(h.data_dir());
  EXPECT_TRUE(h->tenants().Create(victim, "").ok());
  std::set<std::string> found;
  for (const auto& k : WrappedKeysOnDisk(h.data_dir())) {
    if (before.count(k) == 0) found.insert(k);
  }
  EXPECT_EQ(found.size(), 1u) << "control: the scan finds the wrapped key while it exists";
  return found.empty() ? std::string("<none>") : *found.begin();
}

TEST(TenantDelete, WrappedDataKeyIsPurgedWhenNothingElseIsUnflushed) {
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->tenants().Create("globex", "").ok());
  WriteSome(h.Store("globex"), "globex-", 20);
  ASSERT_TRUE(h->Flush().ok());
  const std::string acme_wrapped = CreateAndFindWrappedKey(h, "acme");
  WriteSome(h.Store("acme"), "acme-", 20);
  ASSERT_TRUE(h->DeleteTenant("acme").ok());
  EXPECT_TRUE(FilesContaining(ReadAllFiles(h.data_dir()), acme_wrapped).empty());
  h.Close();
  EXPECT_TRUE(FilesContaining(ReadAllFiles(h.data_dir()), acme_wrapped).empty());
  ASSERT_TRUE(h.Open());
  EXPECT_EQ(h.Store("globex").Get("k3")->value, "globex-3");
}

TEST(TenantDelete, WrappedDataKeyIsPurgedFromTheFiles) {
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->tenants().Create("globex", "").ok());
  const std::set<std::string> globex_keys = WrappedKeysOnDisk(h.data_dir());
  ASSERT_EQ(globex_keys.size(), 1u);
  ASSERT_TRUE(h->tenants().Create("acme", "").ok());
  std::set<std::string> acme_keys;
  for (const auto& k : WrappedKeysOnDisk(h.data_dir())) {
    if (globex_keys.count(k) == 0) acme_keys.insert(k);
  }
  ASSERT_EQ(acme_keys.size(), 1u) << "control: the scan finds the wrapped key while it exists";
  const std::string acme_wrapped = *acme_keys.begin();
  WriteSome(h.Store("acme"), "acme-", 20);
  // Another tenant's data is still in the memtable (and the same WAL).
  WriteSome(h.Store("globex"), "globex-", 20);

  ASSERT_TRUE(h->DeleteTenant("acme").ok());
  const std::set<std::string> after_delete = WrappedKeysOnDisk(h.data_dir());
  EXPECT_EQ(after_delete.count(acme_wrapped), 0u)
      << "acme's wrapped data key is still on disk in: "
      << ::testing::PrintToString(FilesContaining(ReadAllFiles(h.data_dir()), acme_wrapped));
  EXPECT_EQ(after_delete.count(*globex_keys.begin()), 1u);

  h.Close();
  const std::set<std::string> after_close = WrappedKeysOnDisk(h.data_dir());
  EXPECT_EQ(after_close.count(acme_wrapped), 0u)
      << "acme's wrapped data key is still on disk in: "
      << ::testing::PrintToString(FilesContaining(ReadAllFiles(h.data_dir()), acme_wrapped));

  ASSERT_TRUE(h.Open());
  EXPECT_EQ(WrappedKeysOnDisk(h.data_dir()).count(acme_wrapped), 0u)
      << "still on disk after a restart in: "
      << ::testing::PrintToString(FilesContaining(ReadAllFiles(h.data_dir()), acme_wrapped));
  EXPECT_EQ(h.Store("globex").Get("k3")->value, "globex-3");
  EXPECT_EQ(h->tenants().Get("acme").status().code(), Code::kNotFound);
}

// Every wrapped key (hex) that is new since `before`.
std::set<std::string> NewWrappedKeys(const std::string& dir, const std::set<std::string>& before) {
  std::set<std::string> out;
  for (const auto& k : WrappedKeysOnDisk(dir)) {
    if (before.count(k) == 0) out.insert(k);
  }
  return out;
}

// An export holds a snapshot of the whole DB: a tenant deleted meanwhile
// cannot have its wrapped keys compacted away while the snapshot sees them.
// The purge is run again once the snapshot is released, so the files (and
// any node backup taken afterwards) hold none of them.
TEST(TenantDelete, WrappedKeysArePurgedOnceAnExportsSnapshotIsReleased) {
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->CreateTenant("acme", "").ok());
  WriteSome(h.Store("acme"), "acme-", 20);
  std::set<std::string> before = WrappedKeysOnDisk(h.data_dir());
  ASSERT_TRUE(h->CreateTenant("globex", "").ok());
  WriteSome(h.Store("globex"), "globex-", 20);
  // globex's export key is a wrapped key too.
  ASSERT_TRUE(h->ExportTenant("globex", h.temp().Sub("globex-export")).ok());
  ASSERT_TRUE(h->Flush().ok());
  const std::set<std::string> globex_keys = NewWrappedKeys(h.data_dir(), before);
  ASSERT_EQ(globex_keys.size(), 2u) << "control: the scan finds globex's data key and export key";

  Status deleted = Status::Internal("the export's hook did not run");
  h->exporter().SetSnapshotHookForTest([&] {
    deleted = h->DeleteTenant("globex").status();
    // The pool's recycling done: no file comes or goes during the scans.
    EXPECT_TRUE(h->tenants().cf_pool().Maintain().ok());
    // Control: the snapshot does keep them for now, as RocksDB must.
    EXPECT_FALSE(FilesContaining(ReadAllFiles(h.data_dir()), *globex_keys.begin()).empty())
        << "control: the export's snapshot no longer holds globex's keys back";
  });
  auto exported = h->ExportTenant("acme", h.temp().Sub("acme-export"));
  ASSERT_TRUE(exported.ok()) << exported.status().ToString();
  ASSERT_TRUE(deleted.ok()) << deleted.ToString();
  EXPECT_EQ(exported->entries.keys, 20);
  ASSERT_TRUE(h->tenants().cf_pool().Maintain().ok());

  for (const auto& key : globex_keys) {
    EXPECT_TRUE(FilesContaining(ReadAllFiles(h.data_dir()), key).empty())
        << "a wrapped key of globex is still on disk after the export ended, in: "
        << ::testing::PrintToString(FilesContaining(ReadAllFiles(h.data_dir()), key));
  }
  const std::string backup = h.temp().Sub("backup");
  ASSERT_TRUE(h->BackupNode(backup).ok());
  for (const auto& key : globex_keys) {
    EXPECT_TRUE(FilesContaining(ReadAllFiles(backup), key).empty())
        << "a node backup taken after the export carries a wrapped key of globex";
  }
  h.Close();
  ASSERT_TRUE(h.Open());
  for (const auto& key : globex_keys) {
    EXPECT_TRUE(FilesContaining(ReadAllFiles(h.data_dir()), key).empty()) << "on disk after a restart";
  }
  EXPECT_EQ(h.Store("acme").Get("k3")->value, "acme-3");
  EXPECT_EQ(h->tenants().Get("globex").status().code(), Code::kNotFound);
}

// Creates tenants until one is placed on `placement` (a recycled column
// family, queued behind the spares); its id, or "" and a failure.
std::string TakeColumnFamily(EngineHarness& h, const std::string& placement) {
  for (int i = 0; i < 12; ++i) {
    const std::string id = "next-" + std::to_string(i);
    auto t = h->CreateTenant(id, "");
    if (!t.ok()) {
      ADD_FAILURE() << t.status().ToString();
      return "";
    }
    if ((*t)->Info().placement == placement) return id;
  }
  ADD_FAILURE() << "no new tenant took the recycled column family " << placement;
  return "";
}

// No key of the tenant that took the column family next.
void ExpectOnlyOwnKeys(const Result<ListPage>& page, const char* when) {
  SCOPED_TRACE(when);
  if (!page.ok()) {
    EXPECT_EQ(page.status().reason(), "tenant_not_found") << page.status().ToString();
    return;
  }
  for (const auto& item : page->items) {
    EXPECT_EQ(item.key.rfind("next-owner-", 0), std::string::npos)
        << "a read of the deleted tenant saw the next owner's key " << item.key;
  }
}

// A read in flight when its tenant is deleted finishes on the tenant's own
// data: the column family goes back to the pool (and to a next tenant) only
// once the reads in flight have drained, and later reads are refused.
TEST(TenantDelete, AReadInFlightNeverSeesTheNextOwnerOfItsColumnFamily) {
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->CreateTenant("acme", "").ok());
  WriteSome(h.Store("acme"), "acme-", 5);
  auto acme = h->tenants().Get("acme");
  ASSERT_TRUE(acme.ok());
  const std::string acme_cf = (*acme)->Info().placement;
  auto current = (*acme)->movable_store().Current();
  ASSERT_TRUE(current.ok()) << current.status().ToString();
  CfTenantStore* store = *current;
  ASSERT_NE(store, nullptr);

  std::mutex mu;
  std::condition_variable cv;
  bool parked = false, go = false, delete_done = false, close_waits = false;
  auto raise = [&](bool* flag) {
    {
      std::lock_guard<std::mutex> lock(mu);
      *flag = true;
    }
    cv.notify_all();
  };
  // The first read parks inside the store until `go`.
  store->SetReadHookForTest([&] {
    std::unique_lock<std::mutex> lock(mu);
    if (parked) return;
    parked = true;
    cv.notify_all();
    cv.wait(lock, [&] { return go; });
  });
  store->SetCloseWaitHookForTest([&] { raise(&close_waits); });

  ListRequest req;
  req.limit = 100;
  Result<ListPage> in_flight = Status::Internal("not run");
  std::thread reader([&] { in_flight = store->List(req); });
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return parked; });
  }
  Status deleted = Status::Internal("not run");
  std::thread deleter([&] {
    deleted = h->DeleteTenant("acme").status();
    raise(&delete_done);
  });
  bool went_ahead = false;
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return delete_done || close_waits; });
    went_ahead = delete_done;
  }
  EXPECT_FALSE(went_ahead) << "the delete finished while a read of the tenant was in flight";
  std::string next_owner;
  if (went_ahead) {
    // The column family is recycled and taken by a new tenant meanwhile.
    ASSERT_TRUE(h->tenants().cf_pool().Maintain().ok());
    next_owner = TakeColumnFamily(h, acme_cf);
    ASSERT_FALSE(next_owner.empty());
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(h.Store(next_owner).Put("next-owner-" + std::to_string(i), "x", {}).ok());
  } else {
    EXPECT_EQ(h->tenants().cf_pool().stats().recycling, 0u) << "recycled with a read in flight";
  }
  raise(&go);
  reader.join();
  ExpectOnlyOwnKeys(in_flight, "the read in flight");
  if (in_flight.ok()) {
    EXPECT_EQ(in_flight->items.size(), 5u);
  }
  deleter.join();
  ASSERT_TRUE(deleted.ok()) << deleted.ToString();

  if (next_owner.empty()) {
    ASSERT_TRUE(h->tenants().cf_pool().Maintain().ok());
    next_owner = TakeColumnFamily(h, acme_cf);
    ASSERT_FALSE(next_owner.empty());
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(h.Store(next_owner).Put("next-owner-" + std::to_string(i), "x", {}).ok());
  }
  // A read started after the delete (a request that held the tenant) is refused.
  auto late = store->List(req);
  EXPECT_EQ(late.status().reason(), "tenant_not_found");
  ExpectOnlyOwnKeys(late, "a read after the delete");
  EXPECT_EQ(store->Get("next-owner-1").status().reason(), "tenant_not_found");
}

}  // namespace
}  // namespace tenantkv::engine::testutil

namespace tenantkv::engine::testutil {
namespace {

using Fault = TenantRegistry::FaultForTest;

void ExpectInvalid(const Result<ApiKeyInfo>& r) {
  ASSERT_FALSE(r.ok()) << "the token still authenticates";
  EXPECT_EQ(r.status().reason(), "invalid_token") << r.status().ToString();
}

ImportRequest ImportOf(const std::string& dir, const std::string& as) {
  ImportRequest r;
  r.dir = dir;
  r.id = as;
  return r;
}

// The data-key and export-key records of `id` (dkey/<id>/...) left in the
// system column family (the engine must be closed).
std::vector<std::string> KeyRecordsOf(EngineHarness& h, const std::string& id) {
  std::vector<std::string> out;
  RawDb raw(h.db_dir());
  EXPECT_TRUE(raw.ok());
  if (!raw.ok()) return out;
  const std::string prefix = "dkey/" + id + "/";
  std::unique_ptr<rocksdb::Iterator> it(raw.db()->NewIterator(rocksdb::ReadOptions(), raw.SystemCf()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) out.push_back(it->key().ToString());
  return out;
}

// A delete whose purge fails keeps the id reserved: the tenant is gone for
// its clients, its keys unusable, and the purge is finished by a retry.
TEST(TenantDelete, AFailedPurgeKeepsTheIdReservedUntilARetryFinishesIt) {
  for (Fault fault : {Fault::kShredKeys, Fault::kShredPurge}) {
    SCOPED_TRACE(fault == Fault::kShredKeys ? "the key-destroying batch fails" : "the purge from the files fails");
    EngineHarness h;
    ASSERT_TRUE(h.Open());
    ASSERT_TRUE(h->CreateTenant("acme", "").ok());
    ASSERT_TRUE(h->CreateTenant("globex", "").ok());
    WriteSome(h.Store("acme"), "acme-", 20);
    WriteSome(h.Store("globex"), "globex-", 20);
    auto token = h->api_keys().Create("acme", Role::kAdmin);
    ASSERT_TRUE(token.ok());
    const std::string export_dir = h.temp().Sub("export");
    ASSERT_TRUE(h->ExportTenant("acme", export_dir).ok());

    h->tenants().InjectFaultForTest(fault);
    Status failed = h->DeleteTenant("acme").status();
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failed.reason(), "injected_fault") << failed.ToString();

    // Pending: gone for its clients, its id still taken, its keys unusable.
    EXPECT_EQ(h->tenants().Get("acme").status().code(), Code::kNotFound);
    auto pending = h->tenants().PendingDelete("acme");
    ASSERT_TRUE(pending.ok()) << pending.status().ToString();
    EXPECT_EQ(pending->state, TenantState::kDeleting);
    ASSERT_EQ(h->tenants().PendingDeletes().size(), 1u);
    EXPECT_FALSE(h->api_keys().Authenticate(token->token).ok());
    EXPECT_EQ(h->tenants().Create("acme", "").status().reason(), "tenant_exists");
    EXPECT_EQ(h->tenants().GetExportKey("acme", /*create=*/false).status().reason(), "export_key_not_found");
    EXPECT_EQ(h->ImportTenant(ImportOf(export_dir, "acme-copy")).status().reason(), "export_undecryptable");

    // The retry finishes the purge: no key record of acme is left.
    auto retried = h->DeleteTenant("acme");
    ASSERT_TRUE(retried.ok()) << retried.status().ToString();
    EXPECT_TRUE(retried->resumed);
    EXPECT_TRUE(retried->purged);
    EXPECT_EQ(h->tenants().PendingDelete("acme").status().code(), Code::kNotFound);
    h.Close();
    EXPECT_EQ(KeyRecordsOf(h, "acme"), std::vector<std::string>{});
    ASSERT_TRUE(h.Open());
    EXPECT_EQ(h->tenants().Get("acme").status().code(), Code::kNotFound);
    ExpectInvalid(h->api_keys().Authenticate(token->token));

    // The id is free again; the new tenant starts empty and the old export
    // stays undecryptable.
    ASSERT_TRUE(h->CreateTenant("acme", "").ok());
    EXPECT_EQ(h.Store("acme").GetUsage().keys, 0);
    EXPECT_EQ(h.Store("acme").Get("k1").status().code(), Code::kNotFound);
    ASSERT_TRUE(h.Store("acme").Put("k1", "new", {}).ok());
    EXPECT_EQ(h->ImportTenant(ImportOf(export_dir, "acme-copy")).status().reason(), "export_undecryptable");
    // globex is untouched, also once the pool has recycled acme's column
    // family (exactly once).
    ASSERT_TRUE(h->tenants().cf_pool().Maintain().ok());
    ASSERT_TRUE(h->CreateTenant("initech", "").ok());
    WriteSome(h.Store("initech"), "initech-", 5);
    ASSERT_TRUE(h.Open());
    EXPECT_EQ(h.Store("globex").Get("k7")->value, "globex-7");
    EXPECT_EQ(h.Store("globex").GetUsage().keys, 20);
    EXPECT_EQ(h.Store("acme").Get("k1")->value, "new");
    EXPECT_EQ(h.Store("initech").Get("k3")->value, "initech-3");
  }
}

// A delete that cannot persist the deleting state changes nothing: the
// tenant and its keys stay as they were, and a retry deletes it.
TEST(TenantDelete, AFailedDeletingStateChangesNothing) {
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->CreateTenant("acme", "").ok());
  WriteSome(h.Store("acme"), "acme-", 5);
  auto token = h->api_keys().Create("acme", Role::kWrite);
  ASSERT_TRUE(token.ok());
  h->tenants().InjectFaultForTest(Fault::kPersistInfo);
  Status failed = h->DeleteTenant("acme").status();
  EXPECT_EQ(failed.reason(), "injected_fault") << failed.ToString();
  EXPECT_EQ(h->tenants().PendingDelete("acme").status().code(), Code::kNotFound);
  auto t = h->tenants().Get("acme");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ((*t)->state(), TenantState::kActive);
  EXPECT_TRUE(h->api_keys().Authenticate(token->token).ok());
  EXPECT_EQ(h.Store("acme").Get("k3")->value, "acme-3");
  t = Status::NotFound("released");

  auto deleted = h->DeleteTenant("acme");
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_FALSE(deleted->resumed);
  ExpectInvalid(h->api_keys().Authenticate(token->token));
  ASSERT_TRUE(h.Open());
  EXPECT_EQ(h->tenants().Get("acme").status().code(), Code::kNotFound);
  ASSERT_TRUE(h->CreateTenant("acme", "").ok());
}

// A purge still pending at shutdown is finished at the next start.
TEST(TenantDelete, APendingPurgeIsFinishedAtStart) {
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->CreateTenant("acme", "").ok());
  ASSERT_TRUE(h->tenants().GetExportKey("acme", /*create=*/true).ok());
  h->tenants().InjectFaultForTest(Fault::kShredKeys);
  ASSERT_FALSE(h->DeleteTenant("acme").ok());
  h.Close();
  ASSERT_FALSE(KeyRecordsOf(h, "acme").empty()) << "control: the failed purge left the key records";
  ASSERT_TRUE(h.Open());
  EXPECT_EQ(h->tenants().Get("acme").status().code(), Code::kNotFound);
  EXPECT_EQ(h->tenants().PendingDelete("acme").status().code(), Code::kNotFound);
  h.Close();
  EXPECT_EQ(KeyRecordsOf(h, "acme"), std::vector<std::string>{});
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->CreateTenant("acme", "").ok());
}

}  // namespace
}  // namespace tenantkv::engine::testutil
