// ColumnFamilyPool: spare tenant column families, made ahead of need, and
// column families of deleted tenants, emptied and made spare again.
//
// Why: RocksDB rewrites its OPTIONS file, which lists every column family,
// from inside its write thread on each CreateColumnFamily and
// DropColumnFamily. With a thousand tenants that stalls every tenant's
// writes for a few hundred milliseconds. With the pool, creating a tenant
// takes a spare column family and deleting one recycles it: neither issues
// column-family DDL. Spares are made in batches by CreateColumnFamilies,
// which rewrites OPTIONS once per batch: at start-up, before the server
// listens, and in the background when the pool runs low.
//
// Persistence (system column family): `cfpool/<name>` = "spare" or
// "recycling". A spare leaves the pool in the same WriteBatch as the tenant
// record that names it (Lease::Stage), so a crash never loses or doubles one.
// Recycling = one WriteBatch with a range delete over the whole column family
// and the "recycling" record; a background job then compacts the column
// family (so the old ciphertext leaves the files) and marks it spare.
// Thread-safe.
#pragma once

#include <rocksdb/write_batch.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "crypto/mutex.h"
#include "crypto/status.h"
#include "engine/storage/storage.h"

namespace tenantkv::engine {

struct CfPoolOptions {
  size_t target_spares = 16;  // the pool is refilled up to this many spares
  size_t low_water = 4;       // ... when it falls below this many
  bool background = true;     // false: no thread; tests drive Maintain()
};

struct CfPoolStats {
  size_t spares = 0;
  size_t recycling = 0;
  uint64_t created = 0;     // column families made by the pool
  uint64_t refills = 0;     // CreateColumnFamilies batches (one OPTIONS rewrite each)
  uint64_t recycled = 0;    // column families emptied and made spare again
  uint64_t sync_creates = 0;  // creates on the caller's path: the pool was empty
};

class ColumnFamilyPool {
 public:
  // A spare column family taken for a new tenant.
  struct Lease {
    std::string name;
    CfHandle cf;
  };

  // Loads the pool records; adopts as recycling every tenant column family
  // (name prefix `prefix`) that is neither pooled nor in `owned`; makes
  // spares up to the target. Runs before the server serves anyone.
  static Result<std::unique_ptr<ColumnFamilyPool>> Open(Storage* storage, std::string prefix,
                                                        const std::set<std::string>& owned,
                                                        CfPoolOptions options);
  ~ColumnFamilyPool();
  ColumnFamilyPool(const ColumnFamilyPool&) = delete;
  ColumnFamilyPool& operator=(const ColumnFamilyPool&) = delete;

  // A spare column family. If none is left, one is made on the caller's
  // path (counted in sync_creates) and a refill is started.
  Result<Lease> Take();
  // Adds to `batch` what takes the lease out of the pool for good; commit it
  // with the record of the column family's new owner.
  void Stage(const Lease& lease, rocksdb::WriteBatch* batch) const;
  // The owner's batch failed: the lease goes back to the pool.
  void Return(Lease lease);

  // Adds to `batch` the range delete that empties column family `name` and
  // its "recycling" record. After the batch commits, call Recycling(name).
  Status StageRecycle(const std::string& name, rocksdb::WriteBatch* batch) const;
  void Recycling(const std::string& name);

  // One round of background work: compact and free what is recycling, then
  // refill if low. Called by the pool's thread, or by tests.
  Status Maintain();
  CfPoolStats stats() const;

 private:
  ColumnFamilyPool(Storage* storage, std::string prefix, CfPoolOptions options)
      : storage_(storage), prefix_(std::move(prefix)), options_(options) {}
  Status Load(const std::set<std::string>& owned);
  Status Refill(size_t want);
  Status FinishRecycle(const std::string& name);
  void Run();

  Storage* const storage_;
  const std::string prefix_;
  const CfPoolOptions options_;

  mutable Mutex mu_;
  CondVar wake_;
  std::deque<std::string> spares_ GUARDED_BY(mu_);
  std::deque<std::string> recycling_ GUARDED_BY(mu_);
  CfPoolStats stats_ GUARDED_BY(mu_);  // but its two sizes: stats() reads the deques
  bool stop_ GUARDED_BY(mu_) = false;
  bool kick_ GUARDED_BY(mu_) = false;
  Mutex work_mu_;  // one Maintain() at a time
  std::thread thread_;
};

}  // namespace tenantkv::engine
