// Tenant export, handover and import: point in time, still encrypted,
// checked before anything changes, and undecryptable once the tenant is
// deleted (crypto-shredding reaches exports too).
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "engine/backup/export_handover.h"
#include "engine/backup/export_manifest.h"
#include "tests/testing/test_util.h"

namespace tenantkv::engine::testutil {
namespace {

constexpr char kPass[] = "correct horse battery staple";

std::string ValueOf(const std::string& key) { return "value-of-" + key + std::string(60, 'v'); }

void PutN(Engine& e, const std::string& tenant, int n, int from = 0) {
  auto t = e.tenants().Get(tenant);
  ASSERT_TRUE(t.ok());
  for (int i = from; i < from + n; ++i) {
    const std::string k = "key-" + std::to_string(i);
    ASSERT_TRUE((*t)->store().Put(k, ValueOf(k), {}).ok());
  }
}


ImportRequest ImportOf(const std::string& dir, const std::string& as = "") {
  ImportRequest r;
  r.dir = dir;
  r.id = as;
  return r;
}

void ExpectRefused(const Result<ImportOutcome>& r, const char* reason) {
  ASSERT_FALSE(r.ok()) << "import succeeded, expected " << reason;
  EXPECT_EQ(r.status().reason(), reason) << r.status().ToString();
}

TEST(TenantExport, IsAPointInTimeCopyTakenDuringWrites) {
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->CreateTenant("acme", "").ok());
  PutN(h.engine(), "acme", 500);
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::atomic<bool> writer_done{false};
  std::thread writer([&] {  // new keys and deletes of old ones while the export runs
    auto t = *h->tenants().Get("acme");
    for (int i = 500; !stop.load() && i < 100000; ++i) {
      const std::string k = "key-" + std::to_string(i);
      if (!t->store().Put(k, ValueOf(k), {}).ok()) break;
      t->store().Delete("key-" + std::to_string(i - 400), {}).IgnoreError();
      ++written;
    }
    writer_done = true;
  });
  while (written.load() < 200 && !writer_done.load()) std::this_thread::yield();
  auto exported = h->ExportTenant("acme", h.temp().Sub("export"));
  stop = true;
  writer.join();
  ASSERT_GE(written.load(), 200) << "the writer failed";
  ASSERT_TRUE(exported.ok()) << exported.status().ToString();
  EXPECT_GT(exported->entries.keys, 0);
  EXPECT_EQ(exported->usage.keys, exported->entries.keys);
  EXPECT_EQ(exported->usage.logical_bytes, exported->entries.logical_bytes);

  auto imported = h->ImportTenant(ImportOf(h.temp().Sub("export"), "acme-copy"));
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  auto copy = ReadAll(h.engine(), "acme-copy");
  EXPECT_EQ(static_cast<int64_t>(copy.size()), exported->usage.keys);
  for (const auto& [k, v] : copy) EXPECT_EQ(v, ValueOf(k)) << k;
  Usage u = h.Store("acme-copy").GetUsage();
  EXPECT_EQ(u.keys, exported->usage.keys);
  EXPECT_EQ(u.logical_bytes, exported->usage.logical_bytes);
  // The copy is a tenant of its own: writes to it leave the source alone.
  ASSERT_TRUE(h.Store("acme-copy").Put("only-in-copy", "x", {}).ok());
  EXPECT_FALSE(h.Store("acme").Get("only-in-copy").ok());
}

TEST(TenantExport, HoldsNoPlaintextValuesAndNoUsableKeys) {
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->CreateTenant("acme", "").ok());
  ASSERT_TRUE(h.Store("acme").Put("k", "plaintext-marker-4711", {}).ok());
  ASSERT_TRUE(h->ExportTenant("acme", h.temp().Sub("export")).ok());
  auto files = ReadAllFiles(h.temp().Sub("export"));
  ASSERT_GE(files.size(), 2u);
  EXPECT_TRUE(FilesContaining(files, "plaintext-marker-4711").empty());
  // Its keys are wrapped under the tenant's export key, which only this
  // node holds: a node with the same master key but not this DB cannot
  // open it without a handover.
  auto m = VerifyExportDir(h.temp().Sub("export"));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->data_keys.size(), 1u);
}

TEST(TenantExport, DeleteMakesEveryEarlierExportUndecryptable) {
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->CreateTenant("acme", "").ok());
  PutN(h.engine(), "acme", 50);
  const std::string dir = h.temp().Sub("export");
  ASSERT_TRUE(h->ExportTenant("acme", dir).ok());
  // While the tenant lives, this node opens its exports (dry run).
  ImportRequest check = ImportOf(dir, "acme-check");
  check.dry_run = true;
  ASSERT_TRUE(h->ImportTenant(check).ok());

  ASSERT_TRUE(h->DeleteTenant("acme").ok());
  ExpectRefused(h->ImportTenant(ImportOf(dir)), "export_undecryptable");
  ExpectRefused(h->ImportTenant(ImportOf(dir, "acme-2")), "export_undecryptable");
  EXPECT_FALSE(h->tenants().Get("acme").ok());
  EXPECT_FALSE(h->tenants().Get("acme-2").ok());
  EXPECT_EQ(h->tenants().GetExportKey("acme", false).status().reason(), "export_key_not_found");
  // A new tenant of the same id has a new export key: still no way in.
  ASSERT_TRUE(h->CreateTenant("acme", "").ok());
  ASSERT_TRUE(h->ExportTenant("acme", h.temp().Sub("export-new")).ok());
  ExpectRefused(h->ImportTenant(ImportOf(dir, "acme-3")), "export_undecryptable");
  // Nor after a restart.
  ASSERT_TRUE(h.Open());
  ExpectRefused(h->ImportTenant(ImportOf(dir, "acme-3")), "export_undecryptable");
}

TEST(TenantExport, MovesToANodeWithAnotherMasterKeyOnlyWithAHandover) {
  EngineHarness source, target;
  ASSERT_TRUE(source.Open());
  ASSERT_TRUE(target.Open());
  ASSERT_TRUE(source->CreateTenant("acme", "premium").ok());
  PutN(source.engine(), "acme", 300);
  const std::string dir = source.temp().Sub("export");
  ASSERT_TRUE(source->ExportTenant("acme", dir).ok());

  ExpectRefused(target->ImportTenant(ImportOf(dir)), "export_undecryptable");
  auto handover = source->TenantHandover("acme", kPass);
  ASSERT_TRUE(handover.ok()) << handover.status().ToString();
  ImportRequest r = ImportOf(dir);
  r.handover = *handover;
  r.passphrase = "the wrong passphrase";
  ExpectRefused(target->ImportTenant(r), "handover_undecryptable");
  r.passphrase = kPass;
  {
    auto imported = target->ImportTenant(r);  // holds the tenant: released before the restart
    ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  }
  EXPECT_EQ(ReadAll(target.engine(), "acme"), ReadAll(source.engine(), "acme"));
  EXPECT_EQ((*target->tenants().Get("acme"))->Info().plan, "premium");
  ExpectRefused(target->ImportTenant(r), "tenant_exists");
  // The import lives on after a restart of the target.
  ASSERT_TRUE(target.Open());
  EXPECT_EQ(ReadAll(target.engine(), "acme").size(), 300u);
}

TEST(TenantExport, AHandoverOpensOnlyItsOwnTenantsExports) {
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->CreateTenant("acme", "").ok());
  ASSERT_TRUE(h->CreateTenant("globex", "").ok());
  ASSERT_TRUE(h->ExportTenant("acme", h.temp().Sub("acme")).ok());
  auto other = h->TenantHandover("globex", kPass);
  ASSERT_TRUE(other.ok());
  ImportRequest r = ImportOf(h.temp().Sub("acme"), "acme-copy");
  r.handover = *other;
  r.passphrase = kPass;
  ExpectRefused(h->ImportTenant(r), "handover_mismatch");
  EXPECT_EQ(h->TenantHandover("acme", "short").status().reason(), "weak_passphrase");
}

TEST(TenantExport, ATamperedExportIsRefusedBeforeAnyWrite) {
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->CreateTenant("acme", "").ok());
  PutN(h.engine(), "acme", 100);
  const std::string dir = h.temp().Sub("export");
  ASSERT_TRUE(h->ExportTenant("acme", dir).ok());
  const fs::path data = fs::path(dir) / "data-000001.sst";
  const fs::path manifest = fs::path(dir) / kExportManifestName;
  const std::string data_bytes = ReadFileBytes(data);
  const std::string manifest_text = ReadFileBytes(manifest);
  auto write = [](const fs::path& p, const std::string& bytes) {
    std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
  };
  auto cf_count = [&] { return h.engine().tenants().List().size(); };
  const size_t tenants_before = cf_count();

  struct Case {
    const char* name;
    std::function<void()> tamper;
    const char* reason;
  };
  const std::string usage_field = "\"keys\": 100";
  ASSERT_NE(manifest_text.find(usage_field), std::string::npos);
  std::string edited = manifest_text;
  edited.replace(edited.find(usage_field), usage_field.size(), "\"keys\": 101");
  const Case cases[] = {
      {"one byte of a data file flipped",
       [&] {
         std::string b = data_bytes;
         b[b.size() / 2] ^= 0x01;
         write(data, b);
       },
       "export_checksum_mismatch"},
      {"a data file missing", [&] { fs::remove(data); }, "export_checksum_mismatch"},
      {"a file added", [&] { write(fs::path(dir) / "extra.sst", "x"); }, "export_checksum_mismatch"},
      {"the manifest's counters edited", [&] { write(manifest, edited); }, "export_undecryptable"},
      {"the manifest truncated", [&] { write(manifest, manifest_text.substr(0, 100)); }, "export_corrupt"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    c.tamper();
    ExpectRefused(h->ImportTenant(ImportOf(dir, "acme-copy")), c.reason);
    EXPECT_FALSE(h->tenants().Get("acme-copy").ok());
    EXPECT_EQ(cf_count(), tenants_before);
    write(data, data_bytes);
    write(manifest, manifest_text);
    fs::remove(fs::path(dir) / "extra.sst");
  }
  // Restored, it imports.
  ASSERT_TRUE(h->ImportTenant(ImportOf(dir, "acme-copy")).ok());
}

TEST(TenantExport, RefusesBadOutputDirectories) {
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->CreateTenant("acme", "").ok());
  const std::string not_empty = h.temp().Sub("not-empty");
  fs::create_directory(not_empty);
  std::ofstream(not_empty + "/f") << "x";
  const std::string file = h.temp().Sub("a-file");
  std::ofstream(file) << "x";
  const std::string cases[] = {"",
                               "relative/dir",
                               not_empty,
                               file,
                               h.temp().Sub("missing-parent/export"),
                               h.data_dir() + "/export",
                               h.data_dir()};
  for (const auto& dir : cases) {
    SCOPED_TRACE(dir);
    auto r = h->ExportTenant("acme", dir);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().reason(), "invalid_dir");
  }
  EXPECT_FALSE(fs::exists(h.data_dir() + "/export"));
  EXPECT_EQ(h->ExportTenant("nobody", h.temp().Sub("x")).status().reason(), "tenant_not_found");
  EXPECT_FALSE(fs::exists(h.temp().Sub("x")));
  ExpectRefused(h->ImportTenant(ImportOf(h.temp().Sub("nothing-here"))), "invalid_dir");
}

TEST(TenantExport, AnEmptyTenantRoundTrips) {
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->CreateTenant("empty", "").ok());
  auto e = h->ExportTenant("empty", h.temp().Sub("export"));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->files, 0u);
  auto imported = h->ImportTenant(ImportOf(h.temp().Sub("export"), "empty-copy"));
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  EXPECT_EQ(h.Store("empty-copy").GetUsage().keys, 0);
  ASSERT_TRUE(h.Store("empty-copy").Put("k", "v", {}).ok());
}

TEST(NodeBackup, RestoresWhatWasBackedUpAndNothingLater) {
  EngineHarness h;
  ASSERT_TRUE(h.Open());
  ASSERT_TRUE(h->CreateTenant("acme", "").ok());
  PutN(h.engine(), "acme", 20);
  const std::string backups = h.temp().Sub("backups");
  auto b = h->BackupNode(backups);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  PutN(h.engine(), "acme", 5, 1000);
  EXPECT_EQ(h->BackupNode(h.data_dir() + "/b").status().reason(), "invalid_dir");

  const std::string restored = h.temp().Sub("restored");
  auto r = RestoreNodeBackup(backups, restored);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->backup_id, b->backup_id);
  EXPECT_EQ(RestoreNodeBackup(backups, restored).status().reason(), "invalid_dir");  // has a DB now
  EXPECT_EQ(RestoreNodeBackup(backups, h.temp().Sub("other"), 99).status().reason(), "backup_not_found");
  h.Close();
  // The restored dir opens with the same master keys; the later writes are not in it.
  EngineOptions o;
  o.data_dir = restored;
  auto e = Engine::Open(o, std::make_unique<SharedKeyProvider>(h.shared_keys()));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  auto copy = ReadAll(**e, "acme");
  EXPECT_EQ(copy.size(), 20u);
  EXPECT_EQ(copy.count("key-1000"), 0u);
}

}  // namespace
}  // namespace tenantkv::engine::testutil
