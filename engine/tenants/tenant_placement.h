// TenantPlacement: where a tenant's data lives, by tier.
//
// column_family: a column family of its own, named in its record as
// TenantInfo::placement = "cf:<column family>". A new tenant takes a spare
// column family from the ColumnFamilyPool and a deleted tenant's column
// family is emptied and handed back to it, so neither issues column-family
// DDL (which stalls every tenant's writes in RocksDB; cf_pool.h).
//
// pooled: a range of one of a few shared column families (p.<n>, made once
// at open), "pool:<column family>/<16 hex>": every key of the tenant is
// behind an 8-byte prefix, the big-endian value of a counter (never derived
// from the id, never reused). The counter is persisted as a high-water mark
// (pool/next_prefix) raised a block ahead in its own synced write, so a
// prefix handed out before a crash is never handed out again; a range
// delete of a deleted tenant's prefix therefore touches nobody else and may
// be repeated.
//
// dedicated: a RocksDB instance of the tenant's own, "ded:<16 hex>", in
// the directory DEDICATED_DIR/<16 hex> (the hex is a value of the same
// never-reused counter as the pooled prefixes): its own WAL, memtables,
// block cache budget and system column family, where the store keeps the
// tenant's usage and per-version value counts, so that no write batch spans
// two databases. The tenant record naming it is the whole claim; a
// directory no record names (a crash mid-create, mid-move or mid-delete) is
// removed at open. A released database is closed, and its directory
// removed, once its last user lets go of it.
//
// A place is claimed in the same batch as the tenant record that names it
// (for a pooled place the record is the whole claim), and released in the
// same batch as the destruction of the tenant's keys, so a crash never loses
// a place or leaves one to two owners.
// Thread-safe.
#pragma once

#include <rocksdb/write_batch.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/mutex.h"
#include "crypto/status.h"
#include "engine/tenants/cf_pool.h"
#include "engine/storage/storage.h"
#include "engine/tenants/tenant.h"

namespace tenantkv::engine {

enum class Tier { kPooled, kColumnFamily, kDedicated };
// "pooled", "column_family", "dedicated".
const char* TierName(Tier tier);
// InvalidArgument("unknown_tier") for anything but a TierName.
Result<Tier> ParseTier(std::string_view name);
// The tier of a placement string (TenantInfo::placement).
Tier TierOfPlacement(const std::string& placement);

// A tenant's place: its name (TenantInfo::placement), the column family
// that holds its data and the prefix of its keys there ("" if the column
// family is its own), and the database of that column family: nullptr for
// the node's, else a dedicated one, which `cf` keeps open.
struct Place {
  std::string name;
  CfHandle cf;
  std::string key_prefix;
  Storage* db = nullptr;
  // The database of the place: `db`, or the node's `node`.
  Storage* DbOr(Storage* node) const { return db != nullptr ? db : node; }
};

struct PlacementOptions {
  CfPoolOptions pool;
  // Shared column families of the pooled tier (p.0 ...), >= 1. Raising it
  // adds column families at the next start; lowering it only stops new
  // tenants from going to the ones past it.
  size_t pooled_column_families = 4;
  // The dedicated tier: where its databases go, one subdirectory each, and
  // what each is opened with (its path is set per database).
  std::string dedicated_dir;
  StorageOptions dedicated;
};

class TenantPlacement {
 public:
  // Opens the pool; every tenant column family that no tenant of `records`
  // owns (one being deleted owns none) is adopted and emptied: the ones of
  // interrupted deletes and of a crash mid-create. `storage` must outlive it.
  // Creates the pooled column families that are missing (one batch) and
  // reads the prefix high-water mark.
  static Result<std::unique_ptr<TenantPlacement>> Open(Storage* storage,
                                                       const std::vector<TenantInfo>& records,
                                                       PlacementOptions options);

  // The place of tenant `info` as its record names it. DataLoss if it is gone.
  Result<Place> Find(const TenantInfo& info) const;

  // A free place of `tier` for a new tenant, not yet claimed.
  Result<Place> Take(Tier tier);
  // Adds to `batch` what claims `place` for good; commit it with the tenant
  // record that names it. If the batch fails, Return(place).
  void StageClaim(const Place& place, rocksdb::WriteBatch* batch) const;
  void Return(Place place);
  // Claims `place` on its own (fsync'd): an import does, before it moves
  // any file in, so that a place with data in it is never handed out again.
  // On failure the place is returned.
  Status Claim(Place& place);
  // Moves the entries of `sst_files` into `place` (all or nothing).
  Status Fill(const Place& place, const std::vector<std::string>& sst_files);

  // Adds to `batch` what empties the place named `name` and hands it back;
  // after the batch commits, call Released(name). `*staged` is false when
  // there is nothing left to release (already released and reused). For a
  // pooled place it is a range delete of its prefix, always staged (a
  // prefix is never reused, so repeating it is harmless).
  Status StageRelease(const std::string& name, rocksdb::WriteBatch* batch, bool* staged) const;
  void Released(const std::string& name);
  // After the release committed: compacts a pooled place's range to the
  // bottom level, so that no SST file keeps its keys or sealed values
  // (entries a live snapshot still sees are kept until a later compaction).
  // Nothing for a column family (the pool compacts it when recycling).
  Status Compact(const std::string& name);
  // StageRelease and Released in a batch of its own (an import that failed
  // after its files went in). If it fails, the next start releases it.
  void ReleaseNow(const std::string& name);

  ColumnFamilyPool& cf_pool() { return *pool_; }

  // The dedicated databases open now, by place name (backups, /metrics).
  std::vector<std::pair<std::string, std::shared_ptr<Storage>>> OpenDedicated() const EXCLUDES(ded_mu_);
  // The directory of the dedicated place `name`.
  std::string DedicatedPath(const std::string& name) const;
  // Held shared by whatever makes a tenant record name a dedicated
  // database anew (a create, an import, a move's switch into the tier) and
  // by data-key destroys; exclusively by a node backup, which copies the
  // dedicated databases and then the node's DB (node_backup.h).
  SharedMutex& backup_gate() const { return backup_gate_; }

 private:
  struct DedicatedDb;
  TenantPlacement(Storage* storage, PlacementOptions options) : storage_(storage), options_(std::move(options)) {}

  Status OpenPooled();
  // The next pooled-key prefix counter; raises the persisted mark first
  // when the reserved block is used up.
  Result<uint64_t> NextPrefix() EXCLUDES(prefix_mu_);
  // The dedicated place `name`, its database opened if it is not (created
  // when `create`; else DataLoss if its directory is gone).
  Result<Place> Dedicated(const std::string& name, bool create) const EXCLUDES(ded_mu_);
  // Removes every dedicated directory whose place is not in `owned`.
  Status SweepDedicated(const std::set<std::string>& owned) const;

  Storage* const storage_;
  const PlacementOptions options_;
  std::unique_ptr<ColumnFamilyPool> pool_;
  std::vector<CfHandle> pooled_cfs_;  // p.0 ... p.<n-1>, set at open
  Mutex prefix_mu_;  // a leaf: held across the synced write of the mark only
  uint64_t next_prefix_ GUARDED_BY(prefix_mu_) = 0;
  uint64_t reserved_prefixes_ GUARDED_BY(prefix_mu_) = 0;  // the persisted mark
  // The open dedicated databases, by place name; a leaf lock, held across
  // the open of one.
  mutable SharedMutex backup_gate_;
  mutable Mutex ded_mu_;
  mutable std::map<std::string, std::shared_ptr<DedicatedDb>> dedicated_ GUARDED_BY(ded_mu_);
};

}  // namespace tenantkv::engine
