// Whole-node backups: the RocksDB instance (every tenant, the system column
// family with its wrapped keys, quotas and API-key hashes), copied online by
// RocksDB's BackupEngine into a backup directory. Backups into the same
// directory are incremental (SST files are shared by checksum).
//
// A backup never contains the master key or the operator token (separate
// files beside the DB); it holds values only sealed and data keys only
// wrapped, so it is useless without the master key, which must be backed up
// separately. Restoring needs a stopped node: it fills a new data directory
// that a server then opens with the same master key.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "crypto/status.h"
#include "engine/storage/storage.h"

namespace tenantkv::engine {

struct NodeBackupInfo {
  uint32_t backup_id = 0;
  int64_t created_at_s = 0;  // Unix seconds
  uint64_t bytes = 0;        // payload of the files this backup uses
  uint32_t files = 0;
};

// Checks a backup directory given by the operator: an absolute path that is
// absent (parent must exist; created 0700), empty, or an existing backup
// directory; never inside `forbidden_root`. InvalidArgument("invalid_dir").
Status PrepareBackupDir(const std::string& dir, const std::string& forbidden_root);

// A new backup of `storage` in `dir` (memtables flushed first, so the WAL is
// not needed), verified against its checksums. Safe while traffic goes on.
Result<NodeBackupInfo> CreateNodeBackup(Storage* storage, const std::string& dir);

// Every backup in `dir`, oldest first. InvalidArgument("invalid_dir") when
// it is not a backup directory.
Result<std::vector<NodeBackupInfo>> ListNodeBackups(const std::string& dir);

// Restores backup `backup_id` (0 = the newest) from `backup_dir` into
// DATA_DIR/db, after verifying its checksums. `data_dir` may exist but must
// hold no DB yet. InvalidArgument("invalid_dir"), NotFound("backup_not_found"),
// DataLoss("backup_corrupt").
Result<NodeBackupInfo> RestoreNodeBackup(const std::string& backup_dir, const std::string& data_dir,
                                         uint32_t backup_id = 0);

}  // namespace tenantkv::engine
