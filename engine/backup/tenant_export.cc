#include "engine/backup/tenant_export.h"

#include <fcntl.h>
#include <unistd.h>

#include <rocksdb/sst_file_writer.h>

#include <cstdio>
#include <filesystem>
#include <set>

#include "crypto/hash.h"
#include "crypto/key_wrap.h"
#include "crypto/random.h"
#include "engine/backup/export_handover.h"
#include "engine/backup/export_manifest.h"
#include "engine/storage/rocks_status.h"
#include "engine/kv/value_envelope.h"

namespace tenantkv::engine {
namespace {

namespace fs = std::filesystem;

// Data files roll over at this size, so no single file is huge.
constexpr uint64_t kMaxFileBytes = 64ull << 20;

std::string DataFileName(size_t index) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "data-%06zu.sst", index);
  return buf;
}

// Rolls the snapshot's entries into SST files of at most kMaxFileBytes.
class DataFileWriter {
 public:
  explicit DataFileWriter(std::string dir) : dir_(std::move(dir)) {}

  Status Add(std::string_view key, std::string_view sealed) {
    if (writer_ == nullptr) {
      writer_ = std::make_unique<rocksdb::SstFileWriter>(rocksdb::EnvOptions(), options_);
      current_ = ExportFile{DataFileName(files_.size() + 1), 0, "", 0};
      TKV_RETURN_IF_ERROR(FromRocks(writer_->Open(dir_ + "/" + current_.name), "create export file"));
    }
    TKV_RETURN_IF_ERROR(FromRocks(writer_->Put(key, sealed), "write export file"));
    ++current_.entries;
    if (writer_->FileSize() >= kMaxFileBytes) return Finish();
    return Status::Ok();
  }

  // Finishes (and fsyncs) the open file, if any, and checksums it.
  Status Finish() {
    if (writer_ == nullptr) return Status::Ok();
    rocksdb::ExternalSstFileInfo info;
    TKV_RETURN_IF_ERROR(FromRocks(writer_->Finish(&info), "finish export file"));
    writer_.reset();
    current_.bytes = static_cast<int64_t>(info.file_size);
    TKV_ASSIGN_OR_RETURN(crypto::Sha256Digest d, crypto::Sha256File(dir_ + "/" + current_.name));
    current_.sha256 =
        crypto::HexEncode(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
    files_.push_back(current_);
    return Status::Ok();
  }

  const std::vector<ExportFile>& files() const { return files_; }

 private:
  const std::string dir_;
  rocksdb::Options options_;  // bytewise order, as the tenant column families
  std::unique_ptr<rocksdb::SstFileWriter> writer_;
  ExportFile current_;
  std::vector<ExportFile> files_;
};

}  // namespace

Result<ExportSummary> TenantExporter::Export(const std::string& id, const std::string& dir) {
  TKV_ASSIGN_OR_RETURN(std::shared_ptr<Tenant> tenant, registry_->Get(id));
  bool created = false;
  TKV_RETURN_IF_ERROR(PrepareOutputDir(dir, data_dir_, &created));
  auto summary = Write(*tenant, dir);
  if (!summary.ok()) {
    std::error_code ec;
    if (created) {
      fs::remove_all(dir, ec);
    } else {
      for (const auto& e : fs::directory_iterator(dir, ec)) fs::remove_all(e.path(), ec);
    }
  }
  return summary;
}

Result<ExportSummary> TenantExporter::Write(Tenant& tenant, const std::string& dir) {
  const TenantInfo info = tenant.Info();
  TKV_ASSIGN_OR_RETURN(ExportKey export_key, registry_->GetExportKey(info.id, /*create=*/true));
  TKV_ASSIGN_OR_RETURN(QuotaManifest quota, quotas_->Current(info.id));
  ExportManifest m;
  TKV_ASSIGN_OR_RETURN(m.export_id, crypto::RandomHex(8));
  m.created_at_ms = clock_->NowUnixMillis();
  m.tenant_id = info.id;
  m.plan = info.plan;
  m.tenant_created_at_ms = info.created_at_ms;
  m.quota = quota.quota;
  m.export_key_id = export_key.key_id;

  std::set<uint32_t> versions_used;
  {
    TKV_ASSIGN_OR_RETURN(std::unique_ptr<StoreSnapshot> snap, tenant.store().Snapshot());
    if (snapshot_hook_) snapshot_hook_();
    m.usage = snap->usage();
    DataFileWriter files(dir);
    for (; snap->Valid(); snap->Next()) {
      auto header = ParseEnvelope(snap->sealed());
      if (!header.ok()) {
        return Status::DataLoss("a stored value of tenant '" + info.id + "' is malformed", "bad_envelope");
      }
      versions_used.insert(header->key_version);
      TKV_RETURN_IF_ERROR(files.Add(snap->key(), snap->sealed()));
      ++m.entries.keys;
      m.entries.logical_bytes += static_cast<int64_t>(snap->key().size() + header->value_size);
    }
    TKV_RETURN_IF_ERROR(snap->status());
    TKV_RETURN_IF_ERROR(files.Finish());
    m.files = files.files();
  }
  // Every data key that is not destroyed, wrapped for this export only.
  // Read after the scan: a version that sealed a value in the snapshot was
  // added before it, so it is listed now.
  std::vector<std::pair<uint32_t, KeyPtr>> keys;
  for (const auto& k : tenant.Info().data_keys) {
    if (k.state == "destroyed") continue;
    if (KeyPtr key = tenant.keyring().Get(k.version)) keys.emplace_back(k.version, std::move(key));
  }
  for (uint32_t v : versions_used) {
    bool have = false;
    for (const auto& [version, key] : keys) have = have || version == v;
    if (!have) {
      return Status::DataLoss("values of tenant '" + info.id + "' are sealed under data key " +
                                  std::to_string(v) + ", which is gone",
                              "key_destroyed");
    }
  }
  for (const auto& [version, key] : keys) {
    TKV_ASSIGN_OR_RETURN(std::string wrapped,
                         crypto::WrapKey(export_key.key, ExportedKeyContext(m, version), *key));
    m.data_keys.push_back({version, std::move(wrapped)});
  }
  TKV_RETURN_IF_ERROR(WriteFileDurably(dir, kExportManifestName, m.ToJson()));

  ExportSummary s;
  s.export_id = m.export_id;
  s.tenant = m.tenant_id;
  s.dir = dir;
  s.usage = m.usage;
  s.entries = m.entries;
  s.files = m.files.size();
  for (const auto& f : m.files) s.bytes += f.bytes;
  s.created_at_ms = m.created_at_ms;
  return s;
}

Result<std::string> TenantExporter::Handover(const std::string& id, std::string_view passphrase) {
  TKV_RETURN_IF_ERROR(crypto::ValidatePassphrase(passphrase));
  TKV_ASSIGN_OR_RETURN(std::shared_ptr<Tenant> tenant, registry_->Get(id));
  TKV_ASSIGN_OR_RETURN(ExportKey key, registry_->GetExportKey(tenant->id(), /*create=*/true));
  return MakeHandover(tenant->id(), key, passphrase);
}

}  // namespace tenantkv::engine
