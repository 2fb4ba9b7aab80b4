// CfTenantStore: a tenant placed in a RocksDB column family, either alone
// (the column_family tier: keys stored as they are) or beside other tenants
// (the pooled tier: every key behind the tenant's fixed-width key prefix).
// One implementation for both: the column_family tier is the pooled code
// with an empty prefix.
//
// User keys are stored behind the prefix (so listing in key order works);
// values are sealed envelopes bound to the tenant and the *user* key, so the
// same sealed bytes open in any tier. Reads never leave the tenant's range:
// scans are bounded by the successor of its prefix. The tenant's usage
// counters live in the system column family of the same database and change
// in the same WriteBatch as the data (a merge of deltas), so they never
// drift. Writes to one key are serialised by a striped lock so write
// conditions and usage deltas are exact.
//
// Every operation, reads included, is counted in flight for its whole
// length; Close() refuses new ones and waits for those in flight, so once it
// returns nothing reads or writes the tenant's range, which can then be
// emptied (a column family handed to another tenant, or a prefix range
// deleted).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/mutex.h"
#include "engine/clock.h"
#include "engine/keys/keyring.h"
#include "engine/keys/seal_counter.h"
#include "engine/storage/storage.h"
#include "engine/kv/tenant_store.h"
#include "engine/kv/value_envelope.h"
#include "engine/kv/write_gate.h"
#include "engine/kv/writers_first_mutex.h"

namespace tenantkv::engine {

struct CfTenantStoreOptions {
  std::string tenant_id;
  CfHandle cf;
  // Prepended to every user key: the tenant's range in a pooled column
  // family (storage.h: kPooledKeyPrefixBytes); empty for a column family of
  // its own.
  std::string key_prefix;
  std::string usage_key;          // system CF key of the usage counters
  Usage initial_usage;            // as persisted
  size_t max_value_bytes = 1 << 20;
  // List scans put the blocks they read in the block cache (else they read
  // around it, so one tenant's scan cannot evict another's hot blocks).
  bool scan_fill_cache = false;
  SealCounter* seals = nullptr;   // counts every seal; must outlive the store
  // Write locks by key hash (>= 1): writes to keys of different stripes run
  // in parallel.
  size_t stripes = 64;
  // Told of each storage grace transition (tenant_store.h), on the thread
  // that made it, outside the store's locks; may be empty.
  std::function<void(GraceEvent, const GraceState&)> on_grace;
  // What keeps the place open while the store is (a dedicated database:
  // `cf` is then a handle that does not own it); the store lets go of it
  // at Close(), so a released database closes once nothing else holds it.
  std::shared_ptr<void> keep_open;
};

class CfTenantStore final : public TenantStore {
 public:
  // `storage`, `keyring` and `clock` must outlive the store.
  CfTenantStore(Storage* storage, const Keyring* keyring, const Clock* clock,
                CfTenantStoreOptions options);

  Result<ValueRecord> Get(std::string_view key) override;
  Result<ValueRecord> GetResident(std::string_view key) override;
  Result<PutResult> Put(std::string_view key, std::string_view value,
                        const PutOptions& options) override;
  Status Delete(std::string_view key, const WriteCondition& condition) override;
  Result<ListPage> List(const ListRequest& request) override;
  using TenantStore::Batch;
  Result<std::vector<BatchOpResult>> Batch(const std::vector<BatchOp>& ops, const BatchLimits& limits) override;
  Usage GetUsage() const override;
  Result<ReencryptResult> Reencrypt(std::string_view start_after, size_t max_keys) override;
  void WriteBarrier() override;
  Result<std::unique_ptr<StoreSnapshot>> Snapshot() override;
  void SetLimits(int64_t storage_bytes, int64_t max_value_bytes) override;
  void SetGrace(int64_t extra_pct, int64_t seconds) override;
  GraceState Grace() const override;
  void RestoreGrace(int64_t started_ms, bool expired) override;
  bool ExpireGraceIfDue() override;
  void Close() override;

  // Every later commit asks `gate` first (nullptr: none). Returns once no
  // commit is still in flight under the gate set before, so that every
  // write that commits after the call went through `gate`. `gate` must
  // outlive its use.
  void SetWriteGate(WriteGate* gate) EXCLUDES(gate_mu_);
  // Removes `gate` if it is still the store's (a later one set meanwhile
  // stays), with SetWriteGate's wait.
  void ClearWriteGate(WriteGate* gate) EXCLUDES(gate_mu_);
  // Returns once every commit that began before the call has finished.
  void DrainWrites() EXCLUDES(gate_mu_);
  // What SetLimits and SetGrace were last given, and the running grace
  // period, onto `next` (a store of the same tenant in another place).
  void CopySettingsTo(CfTenantStore& next) const;
  // The envelope stored under user key `key` exactly as stored (an expired
  // one included), or nullopt when there is none (a tenant transfer's
  // delta: backup/tenant_transfer.h). NotFound("tenant_not_found") once
  // closed.
  Result<std::optional<std::string>> ReadSealed(std::string_view key);
  // The values stored under each of `versions` (0 when none), read at one
  // sequence number from the database the data is in.
  Result<std::vector<int64_t>> ValueCounts(const std::vector<uint32_t>& versions);

  // Called by Get and List once admitted, before they read storage.
  void SetReadHookForTest(std::function<void()> hook) { read_hook_ = std::move(hook); }
  // Called by Close when it has to wait for operations in flight.
  void SetCloseWaitHookForTest(std::function<void()> hook) { close_wait_hook_ = std::move(hook); }

 private:
  // Counts one operation in flight for as long as it lives. Two atomic adds
  // on the store's own counter: no lock on the read path.
  class ScopedOp;
  // The stored key of a user key (a view of the user key itself when there
  // is no prefix).
  class PhysKey;

  // What is physically stored under a key (possibly expired).
  struct Stored {
    std::string sealed;
    uint32_t key_version = 0;
    size_t value_size = 0;
    bool has_expiry = false;
    std::string etag;
    int64_t expires_at_ms = 0;  // known once opened (or when !has_expiry: 0)
    bool live(int64_t now_ms) const { return expires_at_ms == 0 || expires_at_ms > now_ms; }
  };
  static Result<Stored> MakeStored(std::string sealed);

  Mutex& StripeFor(std::string_view key);
  Result<std::optional<Stored>> ReadStored(std::string_view key);
  // The stored envelope `sealed` of `key`, with its expiry (opened when the
  // envelope carries one, the only way to read it).
  Result<Stored> StoredAt(std::string_view key, std::string sealed);
  // ReadStored of every key of `keys` (a sorted map keyed by the user key),
  // in the map's order, a small group of keys per MultiGet: calls
  // `each(entry of the map, std::optional<Stored>)` for each key (nullopt:
  // absent) and stops at the first error it returns, so a caller can stop
  // reading at a bound.
  template <typename Map, typename Fn>
  Status ReadStoredSorted(Map& keys, Fn&& each);
  // Get (resident_only false) and GetResident (true): one read path, so
  // both see the store's key prefix alike.
  Result<ValueRecord> Read(std::string_view key, bool resident_only);
  Status Open(std::string_view key, Stored* stored, std::string* value);
  // As Open, for a value read without the key's lock: if its data key was
  // destroyed meanwhile (it was re-encrypted), reads the key again once.
  // NotFound if the key is gone by then.
  Status OpenUnlocked(std::string_view key, Stored* stored, std::string* value);
  // Adds -1 to `old_version`'s and +1 to `new_version`'s value count (0 =
  // none) to `deltas`.
  using VersionDeltas = std::map<uint32_t, int64_t>;
  static void CountMove(uint32_t old_version, uint32_t new_version, VersionDeltas* deltas);
  Status StageVersionCounts(const VersionDeltas& deltas, rocksdb::WriteBatch* batch);
  Status Seal(std::string_view key, std::string_view value, int64_t expires_at_ms,
              std::string* sealed);
  Status CheckCondition(const WriteCondition& c, const std::optional<Stored>& current) const;
  Status Commit(rocksdb::WriteBatch* batch, int64_t delta_keys, int64_t delta_bytes);
  Status DeleteIfStillExpired(std::string_view key);
  size_t MaxValueBytes() const;
  // The user key of a stored key of this store's range.
  std::string_view UserKey(std::string_view stored) const { return stored.substr(options_.key_prefix.size()); }
  // Read options of a scan: bounded to the tenant's range when it has a
  // prefix (and using the prefix filters), total order otherwise.
  rocksdb::ReadOptions ScanOptions() const;

  Storage* const storage_;
  const Keyring* const keyring_;
  const Clock* const clock_;
  // options.keep_open, until Close() (under drain_mu_; read by operations
  // only, which Close() waits for).
  std::shared_ptr<void> keep_open_;
  const CfTenantStoreOptions options_;
  // Whether a write to `after` bytes, past `limit`, may pass in a grace
  // period (starting or expiring it as due).
  bool AllowInGrace(int64_t after, int64_t limit);
  // Usage is within `limit` again: ends a running period.
  void EndGraceIfBack(int64_t limit);
  GraceState GraceLocked(int64_t limit) const REQUIRES(grace_mu_);
  void Notify(GraceEvent e, const GraceState& g) const;
  const std::string upper_bound_;  // first key after the tenant's range; "" = none
  const rocksdb::Slice upper_bound_slice_;
  // Write locks by key hash (options_.stripes): fewer for a pooled tenant,
  // mostly idle, whose every mutex is memory held per tenant.
  const size_t stripe_count_;
  const std::unique_ptr<Mutex[]> stripes_;
  // Operations in flight and whether the store is closed; see ScopedOp.
  std::atomic<int64_t> in_flight_{0};
  std::atomic<bool> closed_{false};
  Mutex drain_mu_;    // Close() waits on drained_ under it
  CondVar drained_;   // in_flight_ fell to 0 after Close()
  std::atomic<int64_t> keys_;
  std::atomic<int64_t> bytes_;
  std::atomic<int64_t> storage_limit_{0};    // 0 = none
  std::atomic<int64_t> value_limit_{0};      // 0 = only options_.max_value_bytes
  // Storage grace: the policy, and the period (changed under grace_mu_;
  // grace_started_ms_ is read without it on every shrinking write).
  std::atomic<int32_t> grace_pct_{0};
  std::atomic<int32_t> grace_seconds_{0};
  mutable Mutex grace_mu_;
  std::atomic<int64_t> grace_started_ms_{0};
  bool grace_expired_ GUARDED_BY(grace_mu_) = false;
  // Commits hold it shared (from the gate's check to the write); setting
  // the gate or draining holds it exclusively, ahead of later commits, so
  // a tenant's steady writes cannot keep a move from its switch.
  mutable WritersFirstMutex gate_mu_;
  WriteGate* gate_ GUARDED_BY(gate_mu_) = nullptr;
  std::function<void()> read_hook_;        // set before concurrent use (tests)
  std::function<void()> close_wait_hook_;  // set before concurrent use (tests)
};

}  // namespace tenantkv::engine
