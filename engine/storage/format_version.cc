#include "engine/storage/format_version.h"

#include <nlohmann/json.hpp>
#include <rocksdb/env.h>
#include <rocksdb/write_batch.h>

#include <cstdarg>
#include <memory>
#include <vector>

#include "crypto/random.h"
#include "engine/storage/rocks_status.h"
#include "engine/storage/system_keys.h"

namespace tenantkv::engine {
namespace {

using nlohmann::json;

// The probe's read-only open would otherwise create a LOG file in the
// directory it promises not to touch.
class DiscardingLogger final : public rocksdb::Logger {
 public:
  using rocksdb::Logger::Logv;
  void Logv(const char*, va_list) override {}
};

// Bytes of a tenant incarnation, as TenantRegistry makes them.
constexpr size_t kIncarnationBytes = 16;

Result<int> ParseVersion(const std::string& raw) {
  if (raw.empty() || raw.size() > 9 || raw.find_first_not_of("0123456789") != std::string::npos) {
    return Status::DataLoss("the on-disk format record is not a version number", "format_unreadable");
  }
  return std::stoi(raw);
}

Status WriteSynced(rocksdb::DB* db, rocksdb::WriteBatch* batch, std::string_view what) {
  if (batch->Count() == 0) return Status::Ok();
  rocksdb::WriteOptions wo;
  wo.sync = true;
  return FromRocks(db->Write(wo, batch), what);
}

// 1 -> 2, step 1: every tenant that is not being deleted gets an
// incarnation. Idempotent: a tenant that has one keeps it.
Status GiveTenantsIncarnations(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* system, FormatMigration* m) {
  rocksdb::WriteBatch batch;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), system));
  for (it->Seek(kTenantPrefix); it->Valid() && it->key().starts_with(kTenantPrefix); it->Next()) {
    json j = json::parse(it->value().ToStringView(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) return Status::DataLoss("tenant record is not JSON");
    if (j.contains("incarnation") && j["incarnation"].is_string() &&
        !j["incarnation"].get<std::string>().empty()) {
      continue;
    }
    if (j.value("state", "") == "deleting") continue;  // no key may bind to it
    TKV_ASSIGN_OR_RETURN(std::string incarnation, crypto::RandomHex(kIncarnationBytes));
    j["incarnation"] = incarnation;
    TKV_RETURN_IF_ERROR(FromRocks(batch.Put(system, it->key(), j.dump()), "stage"));
    ++m->tenants_given_incarnation;
  }
  TKV_RETURN_IF_ERROR(FromRocks(it->status(), "read tenants"));
  return WriteSynced(db, &batch, "give tenants incarnations");
}

// 1 -> 2, step 2: every API key without a tenant incarnation is bound to
// its tenant's, unless it is older than the tenant (a key of an earlier
// tenant of the same id) or its tenant is gone: then it is removed.
// Idempotent: bound keys are left alone, and step 1 has persisted the
// incarnations they bind to.
Status BindApiKeys(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* system, FormatMigration* m) {
  rocksdb::WriteBatch batch;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), system));
  for (it->Seek(kApiKeyPrefix); it->Valid() && it->key().starts_with(kApiKeyPrefix); it->Next()) {
    json key = json::parse(it->value().ToStringView(), nullptr, false);
    if (key.is_discarded() || !key.is_object()) return Status::DataLoss("API key record is not JSON");
    if (key.contains("tenant_incarnation")) continue;
    try {
      const std::string tenant_id = key.at("tenant").get<std::string>();
      const int64_t created = key.at("created_at_ms").get<int64_t>();
      std::string raw;
      rocksdb::Status s = db->Get(rocksdb::ReadOptions(), system, kTenantPrefix + tenant_id, &raw);
      if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "read tenant of API key");
      json tenant = s.ok() ? json::parse(raw, nullptr, false) : json();
      const bool bind = tenant.is_object() && tenant.contains("incarnation") &&
                        tenant["incarnation"].is_string() &&
                        !tenant["incarnation"].get<std::string>().empty() &&
                        created >= tenant.value("created_at_ms", INT64_MAX);
      if (bind) {
        key["tenant_incarnation"] = tenant["incarnation"];
        TKV_RETURN_IF_ERROR(FromRocks(batch.Put(system, it->key(), key.dump()), "stage"));
        ++m->api_keys_bound;
      } else {
        TKV_RETURN_IF_ERROR(FromRocks(batch.Delete(system, it->key()), "stage"));
        ++m->api_keys_removed;
      }
    } catch (const json::exception& e) {
      return Status::DataLoss(std::string("API key record is malformed: ") + e.what());
    }
  }
  TKV_RETURN_IF_ERROR(FromRocks(it->status(), "read API keys"));
  return WriteSynced(db, &batch, "bind API keys to incarnations");
}

struct Step {
  int from;  // the step belongs to the migration from this version
  const char* name;
  Status (*run)(rocksdb::DB*, rocksdb::ColumnFamilyHandle*, FormatMigration*);
};

// In order. Version 1 had no purge/ records and no "deleting" state:
// nothing else to convert. Version 2 had no pooled tenants: 2 -> 3 only
// records the new version. Version 3 keys have no name or expiry, which is
// a version 4 key without them: 3 -> 4 only records the new version.
const Step kSteps[] = {
    {1, "tenant_incarnations", &GiveTenantsIncarnations},
    {1, "api_key_incarnations", &BindApiKeys},
};

}  // namespace

std::string FormatMigration::Summary() const {
  std::string out = "on-disk format " + std::to_string(now);
  if (found == 0) return out + " (new data directory)";
  if (!migrated()) return out;
  return out + " (migrated from format " + std::to_string(found) + ": " +
         std::to_string(tenants_given_incarnation) + " tenants given an incarnation, " +
         std::to_string(api_keys_bound) + " API keys bound to theirs, " + std::to_string(api_keys_removed) +
         " API keys of deleted tenants removed)";
}

Result<int> ProbeFormatVersion(const std::string& path, const std::string& system_cf) {
  rocksdb::DBOptions db_opts;
  db_opts.info_log = std::make_shared<DiscardingLogger>();
  std::vector<std::string> names;
  if (!rocksdb::DB::ListColumnFamilies(db_opts, path, &names).ok()) return 0;  // no DB yet
  bool has_system = false;
  for (const auto& n : names) has_system = has_system || n == system_cf;
  if (!has_system) return 0;

  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  descs.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
  descs.emplace_back(system_cf, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  TKV_RETURN_IF_ERROR(FromRocks(rocksdb::DB::OpenForReadOnly(db_opts, path, descs, &handles, &raw),
                                "open RocksDB read-only at " + path));
  std::unique_ptr<rocksdb::DB> db(raw);
  std::string value;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), handles[1], kFormatVersionKey, &value);
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  db->Close().PermitUncheckedError();
  if (s.IsNotFound()) return kFirstFormatVersion;
  TKV_RETURN_IF_ERROR(FromRocks(s, "read the on-disk format"));
  return ParseVersion(value);
}

Status CheckFormatVersion(const std::string& path, int found) {
  if (found > kCurrentFormatVersion) {
    return Status::FailedPrecondition(
        "the data directory " + path + " has on-disk format " + std::to_string(found) +
            ", newer than the format " + std::to_string(kCurrentFormatVersion) +
            " this binary understands; it was written by a newer tenantkv: run that version "
            "(nothing was changed)",
        "format_too_new");
  }
  if (found < 0) return Status::DataLoss("the on-disk format record is negative", "format_unreadable");
  return Status::Ok();
}

Result<FormatMigration> MigrateFormat(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* system, int found,
                                      const MigrationStepHook& after_step_for_test) {
  TKV_RETURN_IF_ERROR(CheckFormatVersion(db->GetName(), found));
  FormatMigration m;
  m.found = found;
  m.now = kCurrentFormatVersion;
  if (found == kCurrentFormatVersion) return m;
  if (found != 0) {
    for (const Step& step : kSteps) {
      if (step.from < found) continue;
      Status s = step.run(db, system, &m);
      if (s.ok() && after_step_for_test) s = after_step_for_test(step.name);
      if (!s.ok()) {
        return Status(s.code(), s.reason(),
                      "migrating the data directory from on-disk format " + std::to_string(found) + " to " +
                          std::to_string(kCurrentFormatVersion) + ", step " + step.name +
                          " (it runs again at the next start): " + s.message());
      }
    }
  }
  rocksdb::WriteBatch batch;
  TKV_RETURN_IF_ERROR(
      FromRocks(batch.Put(system, kFormatVersionKey, std::to_string(kCurrentFormatVersion)), "stage"));
  TKV_RETURN_IF_ERROR(WriteSynced(db, &batch, "record the on-disk format"));
  return m;
}

}  // namespace tenantkv::engine
