// OperatorKeyStore: named operator keys, so that the audit says which
// person or pipeline acted, not just "operator".
//
// A key is made for a name (the same rules as an API key's name, unique
// among the active operator keys) and shown once as
// "tkvo_<16 hex id>_<64 hex secret>"; only the secret's SHA-256 is kept,
// in the system column family under "opkey/<id>", and in memory, so
// authentication does no I/O and a revocation takes effect at once. The
// bootstrap operator token stays valid beside them (the break-glass key;
// the server checks it, not this store).
//
// In cluster mode the server shares the keys through etcd and keeps this
// store as the node's mirror of them (server/api/operator_key_mirror.h):
// Mint makes a key without storing it, Adopt stores a key as the cluster
// holds it. A key the cluster could not take (made here before the node
// joined, its name taken there) is kept `local_only`. Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/mutex.h"
#include "crypto/status.h"
#include "engine/clock.h"
#include "engine/storage/storage.h"

namespace tenantkv::engine {

// Active operator keys at most (a fixed bound: they are people and pipelines).
inline constexpr size_t kMaxActiveOperatorKeys = 256;

struct OperatorKeyInfo {
  std::string key_id;
  std::string name;
  int64_t created_at_ms = 0;
  int64_t revoked_at_ms = 0;  // 0 = active
  bool revoked() const { return revoked_at_ms != 0; }
};

struct NewOperatorKey {
  OperatorKeyInfo info;
  std::string token;  // shown once
};

// A key as stored: what the cluster shares of it too.
struct StoredOperatorKey {
  OperatorKeyInfo info;
  std::string secret_hash;  // raw SHA-256 of the secret (32 bytes)
  // Accepted on this node only: never replaced by the cluster's record of its id.
  bool local_only = false;
};

// A key made by Mint, not stored yet.
struct MintedOperatorKey {
  StoredOperatorKey key;
  std::string token;  // shown once
};

// True if `token` has the shape of an operator key ("tkvo_", 16 hex, "_",
// 64 hex): the server sends only those to this store.
bool LooksLikeOperatorKey(std::string_view token);

class OperatorKeyStore {
 public:
  // Loads the stored keys. `storage` and `clock` must outlive the store.
  static Result<std::unique_ptr<OperatorKeyStore>> Open(Storage* storage, const Clock* clock);

  // InvalidArgument("invalid_name") as ValidateApiKeyName;
  // AlreadyExists("operator_exists") if an active key has this name;
  // AlreadyExists("operator_key_limit") past kMaxActiveOperatorKeys.
  Result<NewOperatorKey> Create(const std::string& name);
  // Every key, active and revoked, oldest first.
  std::vector<OperatorKeyInfo> List() const;
  // NotFound("operator_key_not_found") unless it exists; revoking a revoked
  // key succeeds.
  Status Revoke(const std::string& key_id);
  // Unauthenticated("invalid_token") for a malformed, unknown or revoked
  // key; the same work and the same answer whichever it is. `unknown` (if
  // given) tells whether a well-formed key's id is not held here at all.
  Result<OperatorKeyInfo> Authenticate(std::string_view token, bool* unknown = nullptr) const;

  // A new key for `name` (checked as Create does, but not its uniqueness
  // or the cap: the caller's), made and not stored.
  Result<MintedOperatorKey> Mint(const std::string& name) const;
  // Stores `key` as the cluster holds it: added, or replacing the record
  // of its id, except that a local_only record is never replaced and a
  // revoked key never becomes active again (the earlier revocation time
  // stays). Written only when something changed; *changed (if given) says so.
  Status Adopt(const StoredOperatorKey& key, bool* changed = nullptr);
  // Marks the key local_only (see StoredOperatorKey). NotFound as Revoke.
  Status MarkLocalOnly(const std::string& key_id);
  // Every record, by key id.
  std::vector<StoredOperatorKey> Records() const;
  // The record of `key_id`, nullopt when none.
  std::optional<StoredOperatorKey> Find(const std::string& key_id) const;

 private:
  using Record = StoredOperatorKey;
  OperatorKeyStore(Storage* storage, const Clock* clock) : storage_(storage), clock_(clock) {}
  Status Load();
  Status Persist(const Record& r);

  Storage* const storage_;
  const Clock* const clock_;
  Mutex create_mu_;  // one create at a time: the name and the cap are checked over its write
  mutable SharedMutex mu_;
  std::map<std::string, Record> keys_ GUARDED_BY(mu_);  // by key id
};

}  // namespace tenantkv::engine
