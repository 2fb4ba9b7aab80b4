// TenantPlacement: where a tenant's data lives.
//
// Today every tenant has a column family of its own, named in its record as
// TenantInfo::placement = "cf:<column family>". A new tenant takes a spare
// column family from the ColumnFamilyPool and a deleted tenant's column
// family is emptied and handed back to it, so neither issues column-family
// DDL (which stalls every tenant's writes in RocksDB; cf_pool.h).
// A place is claimed in the same batch as the tenant record that names it,
// and released in the same batch as the destruction of the tenant's keys,
// so a crash never loses a place or leaves one to two owners.
// Thread-safe.
#pragma once

#include <rocksdb/write_batch.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "crypto/status.h"
#include "engine/tenants/cf_pool.h"
#include "engine/storage/storage.h"
#include "engine/tenants/tenant.h"

namespace tenantkv::engine {

// A tenant's place: its name (TenantInfo::placement) and the column family
// that holds its data.
struct Place {
  std::string name;
  CfHandle cf;
};

class TenantPlacement {
 public:
  // Opens the pool; every tenant column family that no tenant of `records`
  // owns (one being deleted owns none) is adopted and emptied: the ones of
  // interrupted deletes and of a crash mid-create. `storage` must outlive it.
  static Result<std::unique_ptr<TenantPlacement>> Open(Storage* storage,
                                                       const std::vector<TenantInfo>& records,
                                                       CfPoolOptions options);

  // The place of tenant `info` as its record names it. DataLoss if it is gone.
  Result<Place> Find(const TenantInfo& info) const;

  // A free place for a new tenant, not yet claimed.
  Result<Place> Take();
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
  // there is nothing left to release (already released and reused).
  Status StageRelease(const std::string& name, rocksdb::WriteBatch* batch, bool* staged) const;
  void Released(const std::string& name);
  // StageRelease and Released in a batch of its own (an import that failed
  // after its files went in). If it fails, the next start releases it.
  void ReleaseNow(const std::string& name);

  ColumnFamilyPool& cf_pool() { return *pool_; }

 private:
  explicit TenantPlacement(Storage* storage) : storage_(storage) {}

  Storage* const storage_;
  std::unique_ptr<ColumnFamilyPool> pool_;
};

}  // namespace tenantkv::engine
