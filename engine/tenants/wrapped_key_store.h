// WrappedKeyStore: the tenants' data keys and export keys, wrapped under the
// master key, in the system column family.
//
// Persistence:
//   dkey/<id>/<version, 8 hex>   JSON {master_version, wrapped (hex), created_at_ms}:
//                                the record's master_version is the one its bytes
//                                are wrapped under (TenantInfo repeats it for display)
//   dkey/<id>/export             JSON {key_id, master_version, wrapped (hex), created_at_ms}:
//                                the tenant's export wrapping key (wraps its data
//                                keys inside exports); under dkey/<id>/ so that
//                                shredding destroys it with them
// Every key is wrapped under the master version current when it is
// persisted: a caller that wraps holds the tenant's key mutex, or
// wrap_mutex() (shared) for a tenant not yet registered, from the wrap until its batch
// is written, so a rotation that switched versions (WithWrapsPaused) and then
// rewrapped each tenant under its key mutex leaves nothing behind.
// The store writes no tenant record: a key record that must commit with one
// is staged in the caller's batch. Thread-safe.
#pragma once

#include <rocksdb/write_batch.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "crypto/keys/key_provider.h"
#include "crypto/mutex.h"
#include "crypto/secret_bytes.h"
#include "crypto/status.h"
#include "engine/clock.h"
#include "engine/storage/storage.h"
#include "engine/tenants/tenant.h"

namespace tenantkv::engine {

// A tenant's export wrapping key, unwrapped. `key_id` (random, 16 hex)
// names it in exports so a later key of a re-created tenant is told apart.
struct ExportKey {
  std::string key_id;
  crypto::SecretBytes key;
};

// A full scan of the wrapped-key records.
struct KeyCensus {
  std::map<uint32_t, size_t> keys_per_master;  // master version -> records
  std::set<std::string> tenants_not_under;     // ids with a record not under `version`
};

class WrappedKeyStore {
 public:
  // The pointers must outlive the store.
  WrappedKeyStore(Storage* storage, const crypto::KeyProvider* keys, const Clock* clock)
      : storage_(storage), keys_(keys), clock_(clock) {}
  WrappedKeyStore(const WrappedKeyStore&) = delete;
  WrappedKeyStore& operator=(const WrappedKeyStore&) = delete;

  // Wraps `key` as data-key version `version` of tenant `id` under the
  // current master version and stages its record in `batch`; gives that
  // master version. See above for the lock the caller holds.
  Result<uint32_t> StageDataKey(const std::string& id, uint32_t version, int64_t created_at_ms,
                                const crypto::SecretBytes& key, rocksdb::WriteBatch* batch) const;
  // Reads data key `version` of tenant `id` and unwraps it. DataLoss if the
  // record is malformed or does not unwrap.
  Result<crypto::SecretBytes> UnwrapDataKey(const std::string& id, uint32_t version) const;
  // Stages the delete of data key `version`; once the batch is written,
  // PurgeDataKey removes it from the DB's files.
  Status StageDestroyDataKey(const std::string& id, uint32_t version, rocksdb::WriteBatch* batch) const;
  Status PurgeDataKey(const std::string& id, uint32_t version);
  // The same for every key record of tenant `id` (its export key included).
  Status StageDestroyAll(const std::string& id, rocksdb::WriteBatch* batch) const;
  Status PurgeAll(const std::string& id);
  // How many key records tenant `id` has.
  Result<size_t> CountRecords(const std::string& id) const;

  // The export key of tenant `id`. If none is stored, `create` is set and
  // `owner()` gives the live tenant (not nullptr), one is made, wrapped
  // under the current master version and fsync'd while holding the
  // tenant's key mutex; `owner()` is asked again afterwards, and if the
  // tenant is gone by then (a delete raced) the record is destroyed again:
  // NotFound("tenant_not_found"). NotFound("export_key_not_found") when
  // none is stored and none is made. One creator at a time.
  Result<ExportKey> GetExportKey(const std::string& id, bool create,
                                 const std::function<std::shared_ptr<Tenant>()>& owner);

  // Stages export key `key` of tenant `id`, wrapped under the current
  // master version, in `batch` (a tenant transferred in keeps the key its
  // exports name). The caller holds wrap_mutex() (shared) until the batch
  // is written.
  Status StageExportKey(const std::string& id, const ExportKey& key, int64_t created_at_ms,
                        rocksdb::WriteBatch* batch) const;

  // Stages in `batch` every key record of tenant `id` that is not under
  // master version `to`, rewrapped under it, and adds to `*moved` the
  // data-key versions among them; gives how many. The caller holds the
  // tenant's key mutex until the batch is written. DataLoss if a record is
  // malformed or does not unwrap.
  Result<size_t> StageRewrap(const std::string& id, uint32_t to, rocksdb::WriteBatch* batch,
                             std::set<uint32_t>* moved) const;
  Result<KeyCensus> Census(uint32_t version) const;

  // Held (shared) by a create or import from choosing a master version to
  // writing its first key record.
  // Its lock, held shared by a caller: `ReaderLock wraps(store.wrap_mutex());`.
  SharedMutex& wrap_mutex() RETURN_CAPABILITY(wrap_mu_) { return wrap_mu_; }
  // Runs `fn` (which switches the provider's current master version) while
  // nobody holds wrap_mutex().
  Status WithWrapsPaused(const std::function<Status()>& fn) EXCLUDES(wrap_mu_);

 private:
  Storage* const storage_;
  const crypto::KeyProvider* const keys_;
  const Clock* const clock_;
  Mutex export_key_mu_;  // one creator of an export key at a time
  // Shared by creates and imports (wrap_mutex()); exclusive while the
  // current master version changes.
  SharedMutex wrap_mu_;
};

}  // namespace tenantkv::engine
