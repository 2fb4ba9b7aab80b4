#include "engine/backup/node_backup.h"

#include <sys/stat.h>

#include <rocksdb/env.h>
#include <rocksdb/utilities/backup_engine.h>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <filesystem>
#include <fstream>

#include "engine/backup/export_manifest.h"
#include "engine/storage/rocks_status.h"

namespace tenantkv::engine {
namespace {

namespace fs = std::filesystem;

bool LooksLikeBackupDir(const fs::path& dir) {
  std::error_code ec;
  return fs::is_directory(dir / "meta", ec) && fs::is_directory(dir / "private", ec);
}

rocksdb::BackupEngineOptions BackupOptions(const std::string& dir) {
  rocksdb::BackupEngineOptions o(dir);
  o.sync = true;
  o.share_table_files = true;
  o.share_files_with_checksum = true;
  o.max_background_operations = 1;
  return o;
}

NodeBackupInfo InfoOf(const rocksdb::BackupInfo& b) {
  return {b.backup_id, b.timestamp, b.size, b.number_files};
}

Status BadDir(const std::string& dir, const std::string& why) {
  return Status::InvalidArgument("backup directory '" + dir + "': " + why, "invalid_dir");
}

}  // namespace

Status PrepareBackupDir(const std::string& dir, const std::string& forbidden_root) {
  std::error_code ec;
  if (!dir.empty() && fs::path(dir).is_absolute() && fs::is_directory(dir, ec) && LooksLikeBackupDir(dir)) {
    const fs::path root = fs::weakly_canonical(forbidden_root, ec);
    const fs::path target = fs::weakly_canonical(dir, ec);
    if ((target.string() + "/").rfind(root.string() + "/", 0) == 0) {
      return BadDir(dir, "must not be inside the data directory");
    }
    return Status::Ok();  // another backup into the same directory: incremental
  }
  bool created = false;
  return PrepareOutputDir(dir, forbidden_root, &created);
}

namespace {

// A new, verified backup of `storage` in the backup directory `dir`.
Result<rocksdb::BackupInfo> BackUp(Storage* storage, const std::string& dir) {
  rocksdb::BackupEngine* raw = nullptr;
  TKV_RETURN_IF_ERROR(FromRocks(rocksdb::BackupEngine::Open(BackupOptions(dir), rocksdb::Env::Default(), &raw),
                                "open backup directory"));
  std::unique_ptr<rocksdb::BackupEngine> be(raw);
  rocksdb::CreateBackupOptions co;
  co.flush_before_backup = true;
  rocksdb::BackupID id = 0;
  TKV_RETURN_IF_ERROR(FromRocks(be->CreateNewBackup(co, storage->db(), &id), "create backup"));
  TKV_RETURN_IF_ERROR(FromRocks(be->VerifyBackup(id, /*verify_with_checksum=*/true), "verify backup"));
  rocksdb::BackupInfo info;
  TKV_RETURN_IF_ERROR(FromRocks(be->GetBackupInfo(id, &info), "read backup info"));
  return info;
}

std::string DedicatedListPath(const std::string& dir, uint32_t backup_id) {
  return dir + "/dedicated/" + std::to_string(backup_id) + ".json";
}

}  // namespace

Result<NodeBackupInfo> CreateNodeBackup(Storage* storage, const std::string& dir,
                                        const std::vector<std::pair<std::string, Storage*>>& dedicated) {
  nlohmann::json list = nlohmann::json::object();
  uint64_t bytes = 0;
  uint32_t files = 0;
  std::error_code ec;
  if (!dedicated.empty() && (fs::create_directories(dir + "/dedicated", ec), ec)) {
    return Status::Internal("create " + dir + "/dedicated: " + ec.message());
  }
  for (const auto& [name, db] : dedicated) {
    TKV_ASSIGN_OR_RETURN(const rocksdb::BackupInfo b, BackUp(db, dir + "/dedicated/" + name));
    list[name] = b.backup_id;
    bytes += b.size;
    files += b.number_files;
  }
  TKV_ASSIGN_OR_RETURN(const rocksdb::BackupInfo info, BackUp(storage, dir));
  NodeBackupInfo out = InfoOf(info);
  out.bytes += bytes;
  out.files += files;
  if (!dedicated.empty()) {
    // Written and synced last: a backup without it has no dedicated tenants.
    TKV_RETURN_IF_ERROR(WriteFileDurably(dir + "/dedicated", std::to_string(out.backup_id) + ".json", list.dump()));
  }
  return out;
}

Result<std::vector<NodeBackupInfo>> ListNodeBackups(const std::string& dir) {
  if (dir.empty() || !LooksLikeBackupDir(dir)) return BadDir(dir, "is not a backup directory");
  rocksdb::BackupEngineReadOnly* raw = nullptr;
  TKV_RETURN_IF_ERROR(FromRocks(
      rocksdb::BackupEngineReadOnly::Open(BackupOptions(dir), rocksdb::Env::Default(), &raw),
      "open backup directory"));
  std::unique_ptr<rocksdb::BackupEngineReadOnly> be(raw);
  std::vector<rocksdb::BackupInfo> infos;
  be->GetBackupInfo(&infos);
  std::vector<NodeBackupInfo> out;
  for (const auto& b : infos) out.push_back(InfoOf(b));
  return out;
}

Result<NodeBackupInfo> RestoreNodeBackup(const std::string& backup_dir, const std::string& data_dir,
                                         uint32_t backup_id, const std::string& dedicated_dir_in) {
  TKV_ASSIGN_OR_RETURN(std::vector<NodeBackupInfo> backups, ListNodeBackups(backup_dir));
  if (backups.empty()) return Status::NotFound("no backup in '" + backup_dir + "'", "backup_not_found");
  NodeBackupInfo chosen = backups.back();
  if (backup_id != 0) {
    bool found = false;
    for (const auto& b : backups) {
      if (b.backup_id == backup_id) chosen = b, found = true;
    }
    if (!found) {
      return Status::NotFound("no backup " + std::to_string(backup_id) + " in '" + backup_dir + "'",
                              "backup_not_found");
    }
  }
  std::error_code ec;
  if (data_dir.empty()) return BadDir(data_dir, "the data directory must be given");
  if (::mkdir(data_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return BadDir(data_dir, "the data directory cannot be created");
  }
  const std::string db_dir = data_dir + "/db";
  if (fs::exists(db_dir, ec) && !fs::is_empty(db_dir, ec)) {
    return BadDir(data_dir, "already holds a database (restore into a new data directory)");
  }
  rocksdb::BackupEngineReadOnly* raw = nullptr;
  TKV_RETURN_IF_ERROR(FromRocks(
      rocksdb::BackupEngineReadOnly::Open(BackupOptions(backup_dir), rocksdb::Env::Default(), &raw),
      "open backup directory"));
  std::unique_ptr<rocksdb::BackupEngineReadOnly> be(raw);
  if (!be->VerifyBackup(chosen.backup_id, /*verify_with_checksum=*/true).ok()) {
    return Status::DataLoss("backup " + std::to_string(chosen.backup_id) + " fails its checksums",
                            "backup_corrupt");
  }
  // The dedicated databases of this backup, if it has any.
  nlohmann::json list = nlohmann::json::object();
  if (std::ifstream f(DedicatedListPath(backup_dir, chosen.backup_id)); f) {
    list = nlohmann::json::parse(f, nullptr, /*allow_exceptions=*/false);
    if (!list.is_object()) {
      return Status::DataLoss("the list of dedicated databases of backup " + std::to_string(chosen.backup_id) +
                                  " is malformed",
                              "backup_corrupt");
    }
  }
  const std::string dedicated_dir = dedicated_dir_in.empty() ? data_dir + "/dedicated" : dedicated_dir_in;
  for (const auto& [name, id] : list.items()) {
    if (!id.is_number_unsigned() || name.size() != 16 || name.find_first_not_of("0123456789abcdef") != std::string::npos) {
      return Status::DataLoss("the list of dedicated databases names a bad entry", "backup_corrupt");
    }
    const std::string target = dedicated_dir + "/" + name;
    if (fs::exists(target, ec) && !fs::is_empty(target, ec)) {
      return BadDir(dedicated_dir, "already holds dedicated database " + name);
    }
  }
  TKV_RETURN_IF_ERROR(FromRocks(be->RestoreDBFromBackup(chosen.backup_id, db_dir, db_dir), "restore backup"));
  for (const auto& [name, id] : list.items()) {
    const std::string from = backup_dir + "/dedicated/" + name;
    rocksdb::BackupEngineReadOnly* draw = nullptr;
    TKV_RETURN_IF_ERROR(FromRocks(
        rocksdb::BackupEngineReadOnly::Open(BackupOptions(from), rocksdb::Env::Default(), &draw),
        "open dedicated backup " + name));
    std::unique_ptr<rocksdb::BackupEngineReadOnly> dbe(draw);
    const auto dedicated_id = id.get<rocksdb::BackupID>();
    if (!dbe->VerifyBackup(dedicated_id, /*verify_with_checksum=*/true).ok()) {
      return Status::DataLoss("dedicated database " + name + " fails its checksums", "backup_corrupt");
    }
    fs::create_directories(dedicated_dir, ec);
    const std::string target = dedicated_dir + "/" + name;
    TKV_RETURN_IF_ERROR(
        FromRocks(dbe->RestoreDBFromBackup(dedicated_id, target, target), "restore dedicated database " + name));
  }
  return chosen;
}

}  // namespace tenantkv::engine
