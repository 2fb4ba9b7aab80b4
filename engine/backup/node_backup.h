// Whole-node backups: the RocksDB instance (every tenant, the system column
// family with its wrapped keys, quotas and API-key hashes), copied online by
// RocksDB's BackupEngine into a backup directory. Backups into the same
// directory are incremental (SST files are shared by checksum).
//
// A node's dedicated databases (the dedicated tier) are backed up with it,
// each into DIR/dedicated/<name>, a backup directory of its own, and the
// backup ids that go with a backup of the node's DB are listed in
// DIR/dedicated/<node backup id>.json. The dedicated databases are backed up
// first: the caller holds off whatever would make the node's records name a
// dedicated database anew, and data-key destroys, until the node's DB is
// backed up too, so that the node's records name no database the backup
// lacks and hold every key that a backed-up value needs.
//
// A backup never contains the master key or the operator token (separate
// files beside the DB); it holds values only sealed and data keys only
// wrapped, so it is useless without the master key, which must be backed up
// separately. Restoring needs a stopped node: it fills a new data directory
// that a server then opens with the same master key.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
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
// `dedicated` are the dedicated databases, by directory name.
Result<NodeBackupInfo> CreateNodeBackup(Storage* storage, const std::string& dir,
                                        const std::vector<std::pair<std::string, Storage*>>& dedicated = {});

// Every backup in `dir`, oldest first. InvalidArgument("invalid_dir") when
// it is not a backup directory.
Result<std::vector<NodeBackupInfo>> ListNodeBackups(const std::string& dir);

// Restores backup `backup_id` (0 = the newest) from `backup_dir` into
// DATA_DIR/db, and its dedicated databases into DEDICATED_DIR/<name>
// ("" = DATA_DIR/dedicated), after verifying their checksums. `data_dir`
// may exist but must hold no DB yet. InvalidArgument("invalid_dir"),
// NotFound("backup_not_found"), DataLoss("backup_corrupt").
Result<NodeBackupInfo> RestoreNodeBackup(const std::string& backup_dir, const std::string& data_dir,
                                         uint32_t backup_id = 0, const std::string& dedicated_dir = "");

}  // namespace tenantkv::engine
