#include "engine/tenants/wrapped_key_store.h"
#include "engine/storage/system_keys.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <string_view>

#include "crypto/aead.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "engine/storage/rocks_status.h"

namespace tenantkv::engine {
namespace {

using nlohmann::json;

std::string DataKeyPrefix(const std::string& id) { return std::string(kDataKeyPrefix) + id + "/"; }
// The end of the dkey/<id>/ range: '/' + 1.
std::string DataKeyPrefixEnd(const std::string& id) { return std::string(kDataKeyPrefix) + id + "0"; }
std::string DataKeyKey(const std::string& id, uint32_t version) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%08x", version);
  return DataKeyPrefix(id) + buf;
}
std::string WrapContext(const std::string& id, uint32_t version, uint32_t master_version) {
  return "tenant=" + id + ";dkey=" + std::to_string(version) +
         ";master=" + std::to_string(master_version);
}
std::string ExportKeyKey(const std::string& id) { return DataKeyPrefix(id) + "export"; }
std::string ExportKeyContext(const std::string& id, const std::string& key_id,
                             uint32_t master_version) {
  return "tenant=" + id + ";export-key=" + key_id + ";master=" + std::to_string(master_version);
}

// A wrapped-key record (dkey/<id>/<version> or dkey/<id>/export).
struct KeyRecord {
  bool ok = false;
  uint32_t master_version = 0;
  std::string wrapped;  // raw bytes
  std::string key_id;   // export keys only
  json doc;             // the whole record, to rewrite it
};

KeyRecord ParseKeyRecord(std::string_view raw) {
  KeyRecord r;
  r.doc = json::parse(raw, nullptr, false);
  if (r.doc.is_discarded() || !r.doc.is_object() || !r.doc.contains("wrapped") ||
      !r.doc["wrapped"].is_string() || !r.doc.contains("master_version") ||
      !r.doc["master_version"].is_number_unsigned()) {
    return r;
  }
  auto wrapped = crypto::HexDecode(r.doc["wrapped"].get<std::string>());
  if (!wrapped) return r;
  r.wrapped = std::move(*wrapped);
  r.master_version = r.doc["master_version"].get<uint32_t>();
  if (r.doc.contains("key_id")) {
    if (!r.doc["key_id"].is_string()) return r;
    r.key_id = r.doc["key_id"].get<std::string>();
  }
  r.ok = true;
  return r;
}

// The wrap context of the record stored at `suffix` (what follows
// dkey/<id>/), or "" when the suffix names no key.
std::string ContextOfRecord(const std::string& id, std::string_view suffix, const KeyRecord& r,
                            uint32_t master_version) {
  if (suffix == "export") return ExportKeyContext(id, r.key_id, master_version);
  if (suffix.size() != 8 || suffix.find_first_not_of("0123456789abcdef") != std::string_view::npos) {
    return "";
  }
  const auto version = static_cast<uint32_t>(std::stoul(std::string(suffix), nullptr, 16));
  return WrapContext(id, version, master_version);
}

}  // namespace

Result<uint32_t> WrappedKeyStore::StageDataKey(const std::string& id, uint32_t version,
                                               int64_t created_at_ms, const crypto::SecretBytes& key,
                                               rocksdb::WriteBatch* batch) const {
  const uint32_t master_version = keys_->CurrentVersion();
  TKV_ASSIGN_OR_RETURN(std::string wrapped,
                       keys_->Wrap(master_version, WrapContext(id, version, master_version), key));
  json record = {{"master_version", master_version},
                 {"wrapped", crypto::HexEncode(wrapped)},
                 {"created_at_ms", created_at_ms}};
  TKV_RETURN_IF_ERROR(
      FromRocks(batch->Put(storage_->system(), DataKeyKey(id, version), record.dump()), "stage data key"));
  return master_version;
}

Result<crypto::SecretBytes> WrappedKeyStore::UnwrapDataKey(const std::string& id, uint32_t version) const {
  std::string raw;
  TKV_RETURN_IF_ERROR(FromRocks(
      storage_->db()->Get(ReadOnceOptions(), storage_->system(), DataKeyKey(id, version), &raw),
      "read data key of tenant '" + id + "'"));
  const KeyRecord rec = ParseKeyRecord(raw);
  if (!rec.ok) return Status::DataLoss("data key record of tenant '" + id + "' is malformed");
  auto key = keys_->Unwrap(rec.master_version, WrapContext(id, version, rec.master_version), rec.wrapped);
  if (!key.ok()) {
    return Status::DataLoss("data key " + std::to_string(version) + " of tenant '" + id +
                            "' does not unwrap under master key " + std::to_string(rec.master_version) +
                            ": " + key.status().ToString());
  }
  return key;
}

Status WrappedKeyStore::StageDestroyDataKey(const std::string& id, uint32_t version,
                                            rocksdb::WriteBatch* batch) const {
  return FromRocks(batch->Delete(storage_->system(), DataKeyKey(id, version)), "stage destroy");
}

Status WrappedKeyStore::PurgeDataKey(const std::string& id, uint32_t version) {
  const std::string key = DataKeyKey(id, version);
  return storage_->PurgeSystemRange(key, key + '\0');
}

Status WrappedKeyStore::StageDestroyAll(const std::string& id, rocksdb::WriteBatch* batch) const {
  return FromRocks(batch->DeleteRange(storage_->system(), DataKeyPrefix(id), DataKeyPrefixEnd(id)),
                   "stage key destroy");
}

Status WrappedKeyStore::PurgeAll(const std::string& id) {
  // A WAL file lives until every column family with data in it is flushed,
  // so the purge flushes all of them: no log may keep a wrapped key.
  return storage_->PurgeSystemRange(DataKeyPrefix(id), DataKeyPrefixEnd(id));
}

Result<size_t> WrappedKeyStore::CountRecords(const std::string& id) const {
  const std::string prefix = DataKeyPrefix(id);
  size_t records = 0;
  std::unique_ptr<rocksdb::Iterator> it(storage_->db()->NewIterator(rocksdb::ReadOptions(), storage_->system()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) ++records;
  TKV_RETURN_IF_ERROR(FromRocks(it->status(), "scan leftover keys"));
  return records;
}

Result<ExportKey> WrappedKeyStore::GetExportKey(const std::string& id, bool create,
                                                const std::function<std::shared_ptr<Tenant>()>& owner) {
  MutexLock lock(export_key_mu_);
  std::string raw;
  rocksdb::Status rs =
      storage_->db()->Get(rocksdb::ReadOptions(), storage_->system(), ExportKeyKey(id), &raw);
  if (rs.ok()) {
    const KeyRecord rec = ParseKeyRecord(raw);
    if (!rec.ok || rec.key_id.empty()) {
      return Status::DataLoss("export key record of tenant '" + id + "' is malformed");
    }
    ExportKey out;
    out.key_id = rec.key_id;
    const uint32_t master_version = rec.master_version;
    auto key = keys_->Unwrap(master_version, ExportKeyContext(id, out.key_id, master_version), rec.wrapped);
    if (!key.ok()) {
      return Status::DataLoss("export key of tenant '" + id + "' does not unwrap under master key " +
                              std::to_string(master_version));
    }
    out.key = std::move(key).value();
    return out;
  }
  if (!rs.IsNotFound()) return FromRocks(rs, "read export key");
  std::shared_ptr<Tenant> tenant = owner();
  if (!create || tenant == nullptr) {
    return Status::NotFound("tenant '" + id + "' has no export key on this node", "export_key_not_found");
  }
  ExportKey out;
  TKV_ASSIGN_OR_RETURN(out.key_id, crypto::RandomHex(8));
  TKV_ASSIGN_OR_RETURN(out.key, crypto::SecretBytes::Random(crypto::kAeadKeyBytes));
  // No master-key rotation rewraps this tenant between choosing the
  // version and persisting the record.
  MutexLock key_lock(tenant->key_mutex());
  const uint32_t master_version = keys_->CurrentVersion();
  TKV_ASSIGN_OR_RETURN(std::string wrapped,
                       keys_->Wrap(master_version, ExportKeyContext(id, out.key_id, master_version), out.key));
  json record = {{"key_id", out.key_id},
                 {"master_version", master_version},
                 {"wrapped", crypto::HexEncode(wrapped)},
                 {"created_at_ms", clock_->NowUnixMillis()}};
  TKV_RETURN_IF_ERROR(FromRocks(storage_->db()->Put(storage_->meta_write_options(), storage_->system(),
                                                    ExportKeyKey(id), record.dump()),
                                "persist export key"));
  // A delete that raced with this creation may have shredded before the
  // record landed: never leave a key behind for a tenant that is gone.
  if (owner() == nullptr) {
    rocksdb::WriteBatch undo;
    TKV_RETURN_IF_ERROR(FromRocks(undo.Delete(storage_->system(), ExportKeyKey(id)), "stage"));
    TKV_RETURN_IF_ERROR(FromRocks(storage_->db()->Write(storage_->meta_write_options(), &undo),
                                  "remove export key"));
    TKV_RETURN_IF_ERROR(storage_->PurgeSystemRange(ExportKeyKey(id), ExportKeyKey(id) + '\0'));
    return Status::NotFound("tenant '" + id + "' does not exist", "tenant_not_found");
  }
  return out;
}

Status WrappedKeyStore::StageExportKey(const std::string& id, const ExportKey& key, int64_t created_at_ms,
                                      rocksdb::WriteBatch* batch) const {
  const uint32_t master_version = keys_->CurrentVersion();
  TKV_ASSIGN_OR_RETURN(std::string wrapped,
                       keys_->Wrap(master_version, ExportKeyContext(id, key.key_id, master_version), key.key));
  json record = {{"key_id", key.key_id},
                 {"master_version", master_version},
                 {"wrapped", crypto::HexEncode(wrapped)},
                 {"created_at_ms", created_at_ms}};
  return FromRocks(batch->Put(storage_->system(), ExportKeyKey(id), record.dump()), "stage export key");
}

Result<size_t> WrappedKeyStore::StageRewrap(const std::string& id, uint32_t to, rocksdb::WriteBatch* batch,
                                            std::set<uint32_t>* moved) const {
  const std::string prefix = DataKeyPrefix(id);
  size_t rewrapped = 0;
  std::unique_ptr<rocksdb::Iterator> it(storage_->db()->NewIterator(rocksdb::ReadOptions(), storage_->system()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    const std::string key = it->key().ToString();
    const std::string suffix = key.substr(prefix.size());
    KeyRecord rec = ParseKeyRecord(it->value().ToStringView());
    const std::string from_ctx = ContextOfRecord(id, suffix, rec, rec.master_version);
    if (!rec.ok || from_ctx.empty()) {
      return Status::DataLoss("key record " + key + " is malformed");
    }
    if (rec.master_version == to) continue;
    auto plain = keys_->Unwrap(rec.master_version, from_ctx, rec.wrapped);
    if (!plain.ok()) {
      return Status::DataLoss("key record " + key + " does not unwrap under master key " +
                              std::to_string(rec.master_version) + ": " + plain.status().ToString());
    }
    TKV_ASSIGN_OR_RETURN(std::string wrapped, keys_->Wrap(to, ContextOfRecord(id, suffix, rec, to), *plain));
    rec.doc["master_version"] = to;
    rec.doc["wrapped"] = crypto::HexEncode(wrapped);
    TKV_RETURN_IF_ERROR(FromRocks(batch->Put(storage_->system(), key, rec.doc.dump()), "stage rewrap"));
    if (suffix != "export") moved->insert(static_cast<uint32_t>(std::stoul(suffix, nullptr, 16)));
    ++rewrapped;
  }
  TKV_RETURN_IF_ERROR(FromRocks(it->status(), "scan keys of tenant '" + id + "'"));
  return rewrapped;
}

Result<KeyCensus> WrappedKeyStore::Census(uint32_t version) const {
  KeyCensus census;
  std::unique_ptr<rocksdb::Iterator> it(storage_->db()->NewIterator(rocksdb::ReadOptions(), storage_->system()));
  for (it->Seek(kDataKeyPrefix); it->Valid() && it->key().starts_with(kDataKeyPrefix); it->Next()) {
    const std::string_view key = it->key().ToStringView();
    const size_t slash = key.find('/', 5);
    if (slash == std::string_view::npos) return Status::DataLoss("key record name is malformed");
    const KeyRecord rec = ParseKeyRecord(it->value().ToStringView());
    if (!rec.ok) return Status::DataLoss("key record " + std::string(key) + " is malformed");
    ++census.keys_per_master[rec.master_version];
    if (rec.master_version != version) census.tenants_not_under.insert(std::string(key.substr(5, slash - 5)));
  }
  TKV_RETURN_IF_ERROR(FromRocks(it->status(), "scan key records"));
  return census;
}

Status WrappedKeyStore::WithWrapsPaused(const std::function<Status()>& fn) {
  WriterLock wraps(wrap_mu_);
  return fn();
}

}  // namespace tenantkv::engine
