// TenantStore: one tenant's data, wherever it is placed.
//
// This is the placement seam: today a column family per tenant
// (CfTenantStore); later a pooled column family with prefixed keys, or a
// dedicated RocksDB instance. Nothing outside an implementation knows where
// a tenant's bytes live. Every value is sealed with the tenant's current data
// key before it is written. Implementations are thread-safe; writes to one
// key are serialised so that conditions and usage counters are exact.
//
// Errors: InvalidArgument for bad keys/limits, TooLarge("value_too_large"),
// NotFound("not_found"), FailedPrecondition("precondition_failed"),
// DataLoss when a stored value fails to authenticate, Unavailable/Internal
// for storage failures.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "crypto/status.h"
#include "engine/kv/kv_types.h"

namespace tenantkv::engine {

// A point-in-time view of everything a store holds (for exports): the
// entries in key order, each as stored (user key and sealed envelope,
// expired ones included), and the usage counters as of the same instant, so
// the counters describe exactly the entries iterated. Writes after the
// snapshot are not seen. Not thread-safe; one user at a time.
class StoreSnapshot {
 public:
  virtual ~StoreSnapshot() = default;
  virtual Usage usage() const = 0;
  virtual bool Valid() const = 0;
  virtual void Next() = 0;
  virtual std::string_view key() const = 0;
  virtual std::string_view sealed() const = 0;
  // Once !Valid(): OK if every entry was visited, else why iteration stopped.
  virtual Status status() const = 0;
  // Positions at the first entry whose key sorts after `key` ("" = the
  // first entry). Internal("cannot_seek") for a snapshot that cannot.
  virtual Status SeekAfter(std::string_view key) {
    (void)key;
    return Status::Internal("this snapshot cannot seek", "cannot_seek");
  }
};

// What one Reencrypt() call did.
struct ReencryptResult {
  std::string last_key;      // the last key examined (resume after it); "" if none
  bool reached_end = false;  // no key after last_key
  size_t examined = 0;       // stored entries looked at
  size_t resealed = 0;       // entries now sealed under the current data key
};

// A storage grace period (the quota fields storage_grace_pct and
// storage_grace_seconds): past storage_bytes, writes may go on up to
// ceiling_bytes until ends_ms.
struct GraceState {
  int64_t started_ms = 0;     // 0: no period (the tenant is within storage_bytes, or has no grace)
  int64_t ends_ms = 0;        // started_ms plus the period under the current quota
  int64_t ceiling_bytes = 0;  // storage_bytes plus the extra, under the current quota
  bool expired = false;       // it ran out: writes that grow stop at storage_bytes until usage is back under it
};

// What changed, for whoever records it (the engine: audit entries and the
// persisted period). kEnded: usage is back within storage_bytes (the state
// given is the period that ended, `expired` if it had run out first).
enum class GraceEvent { kStarted, kExpired, kEnded };

class TenantStore {
 public:
  virtual ~TenantStore() = default;

  virtual Result<ValueRecord> Get(std::string_view key) = 0;
  // Get without blocking: Unavailable("would_block") when the answer needs
  // a disk read, a data key loaded from the key provider, or an expired
  // value deleted; the caller then calls Get() where blocking is fine.
  virtual Result<ValueRecord> GetResident(std::string_view key) = 0;
  virtual Result<PutResult> Put(std::string_view key, std::string_view value,
                                const PutOptions& options) = 0;
  virtual Status Delete(std::string_view key, const WriteCondition& condition) = 0;
  virtual Result<ListPage> List(const ListRequest& request) = 0;
  // Validates every op first; applies all writes in one atomic batch. Ops see
  // the effects of earlier ops in the same batch. TooLarge
  // ("response_too_large") if its gets would return more than
  // `limits.max_get_bytes`: found while reading, before any value is opened
  // and before anything is written (the batch then changes nothing).
  virtual Result<std::vector<BatchOpResult>> Batch(const std::vector<BatchOp>& ops,
                                                   const BatchLimits& limits) = 0;
  Result<std::vector<BatchOpResult>> Batch(const std::vector<BatchOp>& ops) { return Batch(ops, BatchLimits{}); }
  virtual Usage GetUsage() const = 0;
  // Re-seals under the current data key the stored entries after
  // `start_after` in key order ("" = from the first) that are sealed under
  // an older version, looking at up to `max_keys` entries. Each entry is
  // replaced under its key's write lock and only if it is still exactly
  // what was read (a newer write always wins); its ETag, expiry and size
  // stay the same. Per-version value counts change in the same batch.
  virtual Result<ReencryptResult> Reencrypt(std::string_view start_after, size_t max_keys) = 0;
  // Returns once every write that sealed its value before the call has
  // committed or failed (so that a version no longer current can be
  // checked for values and destroyed).
  virtual void WriteBarrier() = 0;
  // A consistent snapshot; it does not block the tenant's traffic.
  virtual Result<std::unique_ptr<StoreSnapshot>> Snapshot() = 0;
  // The tenant's quota as the store enforces it: writes that would grow its
  // logical bytes past `storage_bytes` fail with StorageExhausted
  // ("storage_quota"; deletes and shrinking writes always pass); values
  // over `max_value_bytes` fail with TooLarge ("value_too_large"). Takes
  // effect for the next write. 0 = no limit.
  virtual void SetLimits(int64_t storage_bytes, int64_t max_value_bytes) = 0;
  // The grace past storage_bytes (GraceState), 0 and 0 = none. A write
  // that would take logical bytes past storage_bytes starts a period (if
  // none runs) and passes while within the ceiling and the period; one past
  // them fails with StorageExhausted as without grace. Takes effect for the
  // next write.
  virtual void SetGrace(int64_t extra_pct, int64_t seconds) = 0;
  virtual GraceState Grace() const = 0;
  // The period persisted before a restart (no event).
  virtual void RestoreGrace(int64_t started_ms, bool expired) = 0;
  // Marks a period that ran out by now as expired (kExpired): true if this
  // call did. Writes past the period do the same.
  virtual bool ExpireGraceIfDue() = 0;
  // The tenant is being deleted: makes every later operation (read or
  // write) fail with NotFound("tenant_not_found") and waits for those in
  // flight, so that nothing reads or writes the tenant's storage once its
  // data is dropped and the storage handed to another tenant. A snapshot
  // counts only while it is being taken: it reads at its own point in time.
  virtual void Close() = 0;
};

}  // namespace tenantkv::engine
