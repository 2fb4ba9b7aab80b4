#include "engine/backup/tenant_import.h"

#include <sys/stat.h>

#include <rocksdb/sst_file_reader.h>
#include <rocksdb/sst_file_writer.h>

#include <cstdio>
#include <filesystem>
#include <map>

#include "crypto/aead.h"
#include "crypto/key_wrap.h"
#include "crypto/random.h"
#include "engine/backup/export_handover.h"
#include "engine/storage/rocks_status.h"
#include "engine/tenants/tenant_id.h"
#include "engine/kv/value_envelope.h"

namespace tenantkv::engine {
namespace {

namespace fs = std::filesystem;

constexpr char kStagingPrefix[] = "import-staging-";

Status Undecryptable(const std::string& why) {
  return Status::InvalidArgument("the export cannot be decrypted on this node: " + why,
                                 "export_undecryptable");
}

Status Corrupt(const std::string& what) {
  return Status::InvalidArgument("the export is not usable: " + what, "export_corrupt");
}

// A staging directory removed with its contents when it goes out of scope.
class StagingDir {
 public:
  StagingDir() = default;
  ~StagingDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  Status Create(const std::string& root) {
    TKV_ASSIGN_OR_RETURN(std::string suffix, crypto::RandomHex(8));
    const std::string p = root + "/" + kStagingPrefix + suffix;
    if (::mkdir(p.c_str(), 0700) != 0) return Status::Internal("create staging dir " + p);
    path_ = p;
    return Status::Ok();
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

void TenantImporter::CleanStaging(const std::string& staging_root) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(staging_root, ec)) {
    if (e.path().filename().string().rfind(kStagingPrefix, 0) == 0) fs::remove_all(e.path(), ec);
  }
}

Result<ExportKey> TenantImporter::ExportKeyFor(const ExportManifest& m, const ImportRequest& r) {
  if (!r.handover.empty()) {
    TKV_ASSIGN_OR_RETURN(OpenedHandover h, OpenHandover(r.handover, r.passphrase));
    if (h.tenant != m.tenant_id || h.key.key_id != m.export_key_id) {
      return Status::InvalidArgument("the handover is for another tenant or export key than this export",
                                     "handover_mismatch");
    }
    return std::move(h.key);
  }
  auto key = registry_->GetExportKey(m.tenant_id, /*create=*/false);
  if (!key.ok() && key.status().reason() == "export_key_not_found") {
    return Undecryptable("this node holds no export key of tenant '" + m.tenant_id +
                         "' (the tenant was deleted and its keys destroyed, or the export comes "
                         "from another node: give a handover)");
  }
  if (!key.ok()) return key.status();
  if (key->key_id != m.export_key_id) {
    return Undecryptable("tenant '" + m.tenant_id +
                         "' was deleted (its keys destroyed) and re-created since this export");
  }
  return key;
}

Result<ImportOutcome> TenantImporter::Import(const ImportRequest& r) {
  if (r.tier == Tier::kPooled) {
    // The staged files hold user keys as they are, without a tenant prefix.
    return Status::InvalidArgument("an import goes to the column_family or the dedicated tier; move it to "
                                   "pooled afterwards", "tier_not_supported");
  }
  TKV_ASSIGN_OR_RETURN(ExportManifest m, VerifyExportDir(r.dir));
  ImportOutcome out;
  out.tenant = r.id.empty() ? m.tenant_id : r.id;
  TKV_RETURN_IF_ERROR(ValidateTenantId(out.tenant));
  if (!r.dry_run && registry_->Get(out.tenant).ok()) {
    return Status::AlreadyExists("tenant '" + out.tenant + "' already exists", "tenant_exists");
  }
  TKV_RETURN_IF_ERROR(ValidateTenantId(m.tenant_id).ok() ? Status::Ok()
                                                          : Corrupt("the exported tenant id is invalid"));
  if (!ValidateQuota(m.quota).ok()) return Corrupt("the exported quota is invalid");

  TKV_ASSIGN_OR_RETURN(ExportKey export_key, ExportKeyFor(m, r));
  std::map<uint32_t, crypto::SecretBytes> old_keys;
  for (const auto& dk : m.data_keys) {
    auto key = crypto::UnwrapKey(export_key.key, ExportedKeyContext(m, dk.version), dk.wrapped);
    if (!key.ok()) {
      return Undecryptable("its data keys do not unwrap (the manifest was altered, or the key is not "
                           "the export's)");
    }
    old_keys[dk.version] = std::move(key).value();
  }
  TKV_ASSIGN_OR_RETURN(crypto::SecretBytes new_key, crypto::SecretBytes::Random(crypto::kAeadKeyBytes));

  StagingDir staging;
  if (!r.dry_run) TKV_RETURN_IF_ERROR(staging.Create(staging_root_));
  std::vector<std::string> staged;
  rocksdb::Options options;
  std::string last_key, value, sealed;
  bool first = true;
  for (const auto& f : m.files) {
    rocksdb::SstFileReader reader(options);
    const std::string path = r.dir + "/" + f.name;
    if (!reader.Open(path).ok() || !reader.VerifyChecksum().ok()) {
      return Corrupt("file " + f.name + " is not a readable SST file");
    }
    std::unique_ptr<rocksdb::SstFileWriter> writer;
    if (!r.dry_run) {
      writer = std::make_unique<rocksdb::SstFileWriter>(rocksdb::EnvOptions(), options);
      staged.push_back(staging.path() + "/" + f.name);
      TKV_RETURN_IF_ERROR(FromRocks(writer->Open(staged.back()), "create staging file"));
    }
    int64_t in_file = 0;
    std::unique_ptr<rocksdb::Iterator> it(reader.NewIterator(rocksdb::ReadOptions()));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const std::string_view key = it->key().ToStringView();
      if (key.empty() || key.size() > kMaxKeyBytes || (!first && key <= last_key)) {
        return Corrupt("file " + f.name + " holds a bad or out-of-order key");
      }
      first = false;
      last_key.assign(key);
      auto header = ParseEnvelope(it->value().ToStringView());
      if (!header.ok()) return Corrupt("file " + f.name + " holds a malformed value");
      auto k = old_keys.find(header->key_version);
      int64_t expires_at_ms = 0;
      if (k == old_keys.end() ||
          !OpenValue(k->second, m.tenant_id, key, it->value().ToStringView(), &value, &expires_at_ms).ok()) {
        return Undecryptable("a value does not open under the export's data keys");
      }
      ++in_file;
      ++out.entries.keys;
      out.entries.logical_bytes += static_cast<int64_t>(key.size() + value.size());
      if (writer) {
        TKV_RETURN_IF_ERROR(SealValue(new_key, 1, out.tenant, key, value, expires_at_ms, &sealed));
        TKV_RETURN_IF_ERROR(FromRocks(writer->Put(key, sealed), "write staging file"));
      }
    }
    if (!it->status().ok()) return Corrupt("file " + f.name + " cannot be read to its end");
    if (in_file != f.entries) return Corrupt("file " + f.name + " holds another number of entries");
    if (writer && in_file > 0) {
      TKV_RETURN_IF_ERROR(FromRocks(writer->Finish(), "finish staging file"));
    } else if (writer) {
      staged.pop_back();  // an empty SST cannot be finished or ingested
    }
  }
  if (out.entries.keys != m.entries.keys || out.entries.logical_bytes != m.entries.logical_bytes) {
    return Corrupt("the files hold other entries than the manifest counts");
  }
  out.manifest = std::move(m);
  if (r.dry_run) return out;
  const std::string plan = r.plan.empty() ? out.manifest.plan : r.plan;
  TKV_ASSIGN_OR_RETURN(out.created,
                       registry_->CreateImported(out.tenant, plan, std::move(new_key), staged, out.entries, r.tier));
  return out;
}

}  // namespace tenantkv::engine
