// Storage: the one RocksDB instance, its system column family and the
// column families of tenants.
//
// Column family handles are handed out as shared_ptr: a handle is destroyed
// only after the last operation using it has finished, so a tenant can be
// dropped while its requests drain. Storage must outlive every handle it
// gave out. Thread-safe.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/perf_level.h>

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "crypto/mutex.h"
#include "crypto/status.h"
#include "engine/storage/format_version.h"
#include "engine/storage/group_commit.h"

namespace tenantkv::engine {

struct StorageOptions {
  std::string path;               // directory of the RocksDB instance
  bool sync_writes = false;       // fsync the WAL before acknowledging data writes
  // With sync_writes: how long the next durable commit may wait for the
  // writers on their way (group_commit.h); 0 = no wait.
  int64_t group_commit_max_delay_us = 1000;
  size_t block_cache_bytes = 64 << 20;     // shared by all column families
  size_t memtable_budget_bytes = 128 << 20;  // WriteBufferManager bound, all CFs
  size_t tenant_write_buffer_bytes = 4 << 20;  // per tenant column family
  int64_t compaction_rate_bytes_per_sec = 64 << 20;  // RocksDB rate limiter
  // Called after each step of an on-disk format migration; an error stops
  // the open there, as a crash would.
  MigrationStepHook after_migration_step_for_test;
};

// A point-in-time view of the DB's memory and write pressure, for /metrics.
struct StorageStats {
  uint64_t memtable_bytes = 0;            // rocksdb.cur-size-all-mem-tables, all CFs
  uint64_t block_cache_usage_bytes = 0;   // shared block cache (includes memtable charges)
  uint64_t pending_compaction_bytes = 0;  // rocksdb.estimate-pending-compaction-bytes, all CFs
  uint64_t delayed_write_rate = 0;        // rocksdb.actual-delayed-write-rate (bytes/s; 0 = no delay)
  bool write_stopped = false;             // rocksdb.is-write-stopped
  uint64_t column_families = 0;           // open column families, system one included
  uint64_t pending_purges = 0;            // purges waiting for older snapshots (PurgeSystemRange)
  GroupCommitStats durable_writes;        // data writes through the group commit (sync_writes only)
};

using CfHandle = std::shared_ptr<rocksdb::ColumnFamilyHandle>;

// Read options of a scan that reads each record once (the start-up loads of
// every tenant's records): its blocks do not go into the block cache, where
// they would only take memory from the tenants' data.
inline rocksdb::ReadOptions ReadOnceOptions() {
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  return ro;
}

// Column families named with this prefix hold many tenants each (the pooled
// placement tier), every key under a fixed-width tenant prefix: they are
// opened and created with a prefix extractor of that width, so the bloom
// filters answer for one tenant's range as well as for whole keys.
inline constexpr char kPooledCfNamePrefix[] = "p.";
inline constexpr size_t kPooledKeyPrefixBytes = 8;

// The first key after every key that starts with `prefix`; "" when there is
// none (an empty prefix, or one of 0xff bytes only).
inline std::string KeyPrefixSuccessor(std::string prefix) {
  while (!prefix.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(prefix.back());
    if (last != 0xff) {
      ++last;
      return prefix;
    }
    prefix.pop_back();
  }
  return prefix;
}

class Storage {
 public:
  // Opens or creates the DB with the system column family and every tenant
  // column family found on disk. First reads the directory's on-disk format
  // without writing (format_version.h): FailedPrecondition("format_too_new")
  // for a directory newer than this binary, which is left untouched; an older
  // one is migrated before anything else reads it.
  static Result<std::unique_ptr<Storage>> Open(const StorageOptions& options);
  ~Storage();

  // Also turns RocksDB's per-thread perf counters off for the calling
  // thread (once per thread): nothing reads them, and at the default level
  // every key comparison bumps a counter through a thread-local of the
  // shared library (a __tls_get_addr call each).
  rocksdb::DB* db() const {
    thread_local const bool quiet = [] {
      rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
      return true;
    }();
    (void)quiet;
    return db_.get();
  }
  rocksdb::ColumnFamilyHandle* system() const { return system_.get(); }
  const rocksdb::WriteOptions& data_write_options() const { return data_wo_; }
  // Commits a tenant's data batch with data_write_options(): with
  // sync_writes through the group commit (group_commit.h), else directly.
  Status WriteData(rocksdb::WriteBatch* batch);
  // Metadata (tenants, keys, API keys) is always fsync'd before it counts.
  const rocksdb::WriteOptions& meta_write_options() const { return meta_wo_; }

  // A live tenant column family by name, or nullptr.
  CfHandle Find(const std::string& name) const;
  std::vector<std::string> ColumnFamilyNames() const;
  Result<CfHandle> CreateColumnFamily(const std::string& name);
  // Creates them all with one OPTIONS rewrite (RocksDB rewrites the file,
  // which lists every column family, inside its write thread on each
  // column-family DDL call); find them afterwards with Find().
  Status CreateColumnFamilies(const std::vector<std::string>& names);

  // Loads `sst_files` (non-overlapping SST files whose entries are already
  // sorted) into the (empty) column family `cf`; the files are moved into
  // the DB (same filesystem: hard links). All or nothing. For imports.
  Status IngestFiles(const CfHandle& cf, const std::vector<std::string>& sst_files);
  // Drops the column family; its handle is released by its last user.
  Status DropColumnFamily(const CfHandle& handle);
  // Compacts [begin, end) of `cf` down to the bottom level (forced, not
  // exclusive: other compactions go on), flushing the memtable first if it
  // overlaps, so that entries deleted in the range leave the SST files.
  Status CompactRange(const CfHandle& cf, const std::string& begin, const std::string& end);

  // A RocksDB snapshot of the whole DB, known to the storage so that a purge
  // can tell whether a snapshot still sees what it deletes. Releasing it (its
  // destructor) re-runs, on the releasing thread, every purge that waited for
  // it. Not thread-safe; the Storage must outlive it.
  class Snapshot {
   public:
    ~Snapshot();
    Snapshot(const Snapshot&) = delete;
    Snapshot& operator=(const Snapshot&) = delete;
    const rocksdb::Snapshot* get() const { return snapshot_; }

   private:
    friend class Storage;
    Snapshot(Storage* storage, const rocksdb::Snapshot* snapshot) : storage_(storage), snapshot_(snapshot) {}
    Storage* const storage_;
    const rocksdb::Snapshot* const snapshot_;
  };
  // Every snapshot of the DB is taken here, never by db()->GetSnapshot().
  std::unique_ptr<Snapshot> TakeSnapshot();

  // Makes deleted system records unrecoverable from this DB's files: flushes
  // every column family (a WAL file is kept until all column families with
  // data in it are flushed) and compacts [begin, end) of the system column
  // family to the bottom level, so neither WAL nor SST keeps them.
  // Compaction keeps every version a live snapshot can see: if a snapshot
  // older than the call is live, the range is also recorded (fsync'd) and
  // purged again once no snapshot older than the call remains, or at the
  // next Open (no snapshot survives a restart). Call it after the deletes
  // have committed.
  Status PurgeSystemRange(const std::string& begin, const std::string& end);

  // What the open found on disk and migrated, for the start-up log.
  const FormatMigration& format() const { return format_; }

  // Cheap: reads in-memory properties only. Thread-safe.
  StorageStats Stats() const;

  // Flushes every memtable to SST files (tests, shutdown, backups).
  Status Flush();

 private:
  // A purge to run again once every snapshot older than `after` is gone.
  struct PendingPurge {
    std::string begin;
    std::string end;
    rocksdb::SequenceNumber after = 0;
  };

  Storage() = default;
  CfHandle Wrap(rocksdb::ColumnFamilyHandle* h);
  rocksdb::ColumnFamilyOptions TenantCfOptions() const;
  rocksdb::ColumnFamilyOptions PooledCfOptions() const;
  // The options of a tenant or pooled column family, by its name.
  rocksdb::ColumnFamilyOptions CfOptionsFor(const std::string& name) const;
  void Release(const rocksdb::Snapshot* snapshot);
  // The sequence number of the oldest live snapshot; the largest one if none.
  rocksdb::SequenceNumber OldestSnapshot() const;
  Status CompactSystemRange(const std::string& begin, const std::string& end);
  // Loads the purges recorded before a restart (all due: no snapshot is live).
  Status LoadPendingPurges();
  // Re-runs the pending purges no live snapshot holds back; a failed one
  // stays pending.
  Status RunDuePurges() REQUIRES(purge_mu_);

  StorageOptions options_;
  FormatMigration format_;
  std::unique_ptr<rocksdb::DB> db_;
  std::shared_ptr<rocksdb::Cache> block_cache_;
  rocksdb::WriteOptions data_wo_;
  rocksdb::WriteOptions meta_wo_;
  std::unique_ptr<GroupCommit> group_commit_;  // with sync_writes only
  CfHandle system_;
  mutable Mutex mu_;
  std::map<std::string, CfHandle> live_ GUARDED_BY(mu_);  // every column family not dropped
  // One purge at a time; taken before snapshot_mu_, never after it.
  Mutex purge_mu_ ACQUIRED_BEFORE(snapshot_mu_);
  std::vector<PendingPurge> pending_purges_ GUARDED_BY(purge_mu_);
  mutable Mutex snapshot_mu_;
  std::multiset<rocksdb::SequenceNumber> snapshots_ GUARDED_BY(snapshot_mu_);  // live ones
  std::atomic<uint64_t> pending_purge_count_{0};     // pending_purges_.size(), for Stats()
};

// The system column family's merge operator: adds 16-byte (keys, bytes)
// little-endian int64 pairs, so usage deltas commit in the data's batch.
std::shared_ptr<rocksdb::MergeOperator> NewUsageMergeOperator();
std::string EncodeUsageDelta(int64_t keys, int64_t bytes);
bool DecodeUsage(std::string_view v, int64_t* keys, int64_t* bytes);

}  // namespace tenantkv::engine
