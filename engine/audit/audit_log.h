// AuditLog: an append-only, hash-chained log of admin actions, kept in the
// system column family under "audit/<16 hex seq>" (seq starts at 1).
//
// Each entry's hash is the SHA-256 (hex) of its canonical serialisation:
// the compact JSON object of every field except "hash", keys sorted —
// {"action","actor","details","prev_hash","seq","tenant","time","time_ms"}.
// The first entry's prev_hash is 64 zeros. Changing, removing or
// reordering a stored entry breaks the chain and Verify() says where.
// Entries are not tenant data: they outlive the tenant they name.
// Details must never hold secrets (tokens, key material, passphrases).
// Thread-safe: appends are serialised by one mutex.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "crypto/mutex.h"
#include "crypto/status.h"
#include "engine/clock.h"
#include "engine/storage/storage.h"
#include "engine/storage/system_keys.h"

namespace rocksdb {
class WriteBatch;
}  // namespace rocksdb

namespace tenantkv::engine {

struct AuditEntry {
  uint64_t seq = 0;
  int64_t time_ms = 0;
  std::string time;     // RFC 3339, UTC, millisecond precision
  std::string actor;    // "operator" or a tenant admin key id
  std::string action;   // e.g. "tenant.create"
  std::string tenant;   // may be empty
  std::string details;  // a compact JSON object, "{}" when there is nothing
  std::string prev_hash;
  std::string hash;
};

struct AuditQuery {
  std::string tenant;     // empty: every tenant
  uint64_t after_seq = 0; // only entries with seq > after_seq
  size_t limit = 100;
};

struct AuditPage {
  std::vector<AuditEntry> entries;
  // The seq to pass as after_seq for the next page; nullopt at the end.
  std::optional<uint64_t> next;
};

struct AuditVerdict {
  bool ok = true;
  uint64_t entries = 0;   // entries checked (all of them when ok)
  std::string head;       // the last entry's hash ("" when empty)
  uint64_t broken_at = 0; // when !ok: the first seq that does not verify
  std::string reason;     // when !ok: hash_mismatch, prev_hash_mismatch, seq_gap, unreadable
};

// Sees every entry as it is appended, under the log's lock (so calls come
// one at a time, in seq order): Stage may add records to the batch that
// writes the entry, so that they are written with it or not at all; Done
// then says whether that batch was written. It must not call the log.
class AuditTap {
 public:
  virtual ~AuditTap() = default;
  virtual void Stage(const AuditEntry& entry, rocksdb::WriteBatch* batch) = 0;
  virtual void Done(bool written) = 0;
};

class AuditLog {
 public:
  static constexpr const char* kPrefix = kAuditPrefix;
  // Loads the head (last seq and hash) from storage.
  static Result<std::unique_ptr<AuditLog>> Open(Storage* storage, const Clock* clock);

  // Appends one entry, fsync'd (the system column family's write options).
  // `details_json` must be a JSON object ("" means {}).
  Result<AuditEntry> Append(const std::string& actor, const std::string& action,
                            const std::string& tenant, const std::string& details_json = "");

  // Sets the tap (nullptr = none); before the log is shared. Not owned.
  void SetTap(AuditTap* tap) { tap_ = tap; }

  Result<AuditPage> List(const AuditQuery& q) const;
  // Walks the whole chain from seq 1.
  AuditVerdict Verify() const;

  uint64_t last_seq() const;
  std::string head_hash() const;

  static std::string KeyFor(uint64_t seq);
  // The hash an entry should have (from every field but `hash`).
  static std::string ComputeHash(const AuditEntry& e);

 private:
  AuditLog(Storage* storage, const Clock* clock) : storage_(storage), clock_(clock) {}
  Status LoadHead();

  Storage* const storage_;
  const Clock* const clock_;
  AuditTap* tap_ = nullptr;
  mutable Mutex mu_;
  uint64_t last_seq_ GUARDED_BY(mu_) = 0;
  std::string last_hash_ GUARDED_BY(mu_);
};

}  // namespace tenantkv::engine
