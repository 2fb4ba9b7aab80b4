// ApiKeyStore: tenant API keys, stored only as SHA-256 hashes.
//
// A token is "tkv_<key id: 16 hex>_<secret: 64 hex>"; it is returned once at
// creation and never stored. Authentication finds the key by its id and
// compares the secret's hash in constant time. Records live in the system
// column family as apikey/<key id>; all of them are cached in memory, so
// authentication does no I/O and a revocation takes effect at once.
// Every key is bound to the incarnation of its tenant (TenantInfo): it
// authenticates only while that tenant exists and is not deleting, never
// for a later tenant of the same id. A key may carry a name (free text of a
// tenant admin, shown in lists) and an expiry, after which it stops
// authenticating (key_expired). Thread-safe.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/mutex.h"
#include "engine/clock.h"
#include "engine/storage/storage.h"
#include "engine/tenants/tenant.h"

namespace tenantkv::engine {

class TenantRegistry;

enum class Role { kRead, kWrite, kAdmin };
const char* RoleName(Role r);
// InvalidArgument("invalid_role") unless "read", "write" or "admin".
Result<Role> ParseRole(std::string_view name);

// Longest API key name, in bytes.
inline constexpr size_t kMaxApiKeyNameBytes = 128;
// InvalidArgument("invalid_name") unless `name` is 1 to kMaxApiKeyNameBytes
// bytes of valid UTF-8 without control characters (U+0000..U+001F,
// U+007F..U+009F) or bidirectional formatting characters (U+202A..U+202E,
// U+2066..U+2069), which could make a name print as another on a terminal.
// The name is free text otherwise: quotes, '<' and the like are kept, so
// whatever shows it must escape it.
Status ValidateApiKeyName(std::string_view name);
// The same rule for any short free text a person gives (a name, a reason):
// InvalidArgument(`reason`) naming `field` unless `text` is 1 to
// `max_bytes` bytes of such UTF-8.
Status ValidateFreeText(std::string_view text, size_t max_bytes, const std::string& field,
                        const std::string& reason);

struct ApiKeyInfo {
  std::string key_id;
  std::string tenant;
  std::string tenant_incarnation;  // the incarnation of `tenant` it belongs to
  Role role = Role::kRead;
  int64_t created_at_ms = 0;
  int64_t revoked_at_ms = 0;  // 0 = active
  std::string name;           // "" = none
  int64_t expires_at_ms = 0;  // 0 = never; else it authenticates only before this time
  bool revoked() const { return revoked_at_ms != 0; }
  bool has_expiry() const { return expires_at_ms != 0; }
  bool expired(int64_t now_unix_ms) const { return has_expiry() && now_unix_ms >= expires_at_ms; }
};

// What the creator of a key chooses besides its role.
struct ApiKeyOptions {
  std::string name;           // "" = none; else as ValidateApiKeyName
  int64_t expires_at_ms = 0;  // Unix ms; 0 = never; else after the engine clock's now
};

struct NewApiKey {
  ApiKeyInfo info;
  std::string token;  // shown to the caller once
};

// Active (not revoked) API keys a tenant may have by default.
inline constexpr size_t kDefaultMaxApiKeysPerTenant = 100;

class ApiKeyStore {
 private:
  struct Record {
    ApiKeyInfo info;
    // Raw SHA-256 of the secret, inline (one per key, for every tenant).
    std::array<char, 32> secret_hash{};
  };

 public:
  // The stored key records, read and parsed but not yet checked against the
  // tenants (Open does that): a start-up reads them while the tenants load.
  class Stored {
   private:
    friend class ApiKeyStore;
    std::vector<std::pair<std::string, Record>> records;  // (stored key, record), in key order
  };
  // DataLoss for a malformed record.
  static Result<Stored> Read(Storage* storage);

  // Loads every key and removes those whose tenant incarnation does not
  // exist (deleted, deleting, or replaced by a later tenant of the id).
  // Records of the shape before incarnations are bound to the live tenant
  // of their id, unless made before it was (an earlier tenant's: removed).
  // `tenants` is opened first and must outlive the store.
  // `max_active_per_tenant` >= 1: active keys one tenant may have.
  static Result<std::unique_ptr<ApiKeyStore>> Open(Storage* storage, const Clock* clock,
                                                   const TenantRegistry* tenants,
                                                   size_t max_active_per_tenant = kDefaultMaxApiKeysPerTenant);
  // The same, from records Read before.
  static Result<std::unique_ptr<ApiKeyStore>> Open(Storage* storage, const Clock* clock,
                                                   const TenantRegistry* tenants, size_t max_active_per_tenant,
                                                   Stored stored);

  // A key of tenant `t`, bound to its incarnation. NotFound
  // ("tenant_not_found") if `t` is deleting, also when its delete begins
  // while the key is made: the check and the key's entry into memory are
  // under the lock RemoveTenant takes, and a delete persists "deleting"
  // before it removes the keys, so no key outlives its tenant.
  // AlreadyExists("api_key_limit") if the tenant already has
  // max_active_per_tenant active keys; concurrent creates never pass it.
  // InvalidArgument("invalid_name") for a name ValidateApiKeyName refuses,
  // ("invalid_expires_at") for an expiry not after the clock's now.
  Result<NewApiKey> Create(const Tenant& t, Role role, const ApiKeyOptions& options = {});
  // The same for the live tenant of id `tenant`.
  Result<NewApiKey> Create(const std::string& tenant, Role role, const ApiKeyOptions& options = {});
  // Every key of the tenant, active and revoked, oldest first.
  std::vector<ApiKeyInfo> List(const std::string& tenant) const;
  // NotFound("apikey_not_found") unless the key exists and belongs to `tenant`.
  Status Revoke(const std::string& tenant, const std::string& key_id);
  // Reads the stored keys of tenant `t` (bound to its incarnation) into
  // memory: a tenant transferred from another node (backup/tenant_transfer.h)
  // whose records were written with its commit.
  Status AdoptTenant(const Tenant& t);
  // Deletes every key of the tenant (its deletion).
  Status RemoveTenant(const std::string& tenant);
  // Unauthenticated("invalid_token") for a malformed, unknown or revoked
  // token (the answer takes the same time whichever it is), and for a key
  // whose tenant incarnation is not live. Unauthenticated("key_expired")
  // for the right secret of a key at or past its expiry by the clock: only
  // a caller holding the secret learns that the key exists. `tenant`, if
  // given, receives the key's tenant, also with key_expired (so the refusal
  // is counted as that tenant's).
  Result<ApiKeyInfo> Authenticate(std::string_view token, std::shared_ptr<Tenant>* tenant = nullptr) const;

  // Whether this store has a key of id `key_id` (16 lowercase hex), active
  // or not: a cluster node serves a token whose key it holds itself, and
  // routes any other to the node the directory names.
  bool Holds(std::string_view key_id) const;
  // The tenant of key `key_id` when this store has it, else "".
  std::string TenantOfKey(std::string_view key_id) const;
  // The key id of a token of the API-key shape ("tkv_<id>_<secret>"),
  // "" for anything else. The secret is not looked at.
  static std::string_view KeyIdOfToken(std::string_view token);

  // Test-only: runs inside Create after the key record is persisted and
  // before the key is added to memory. Set before any Create runs.
  void SetCreateHookForTest(std::function<void()> hook) { create_hook_for_test_ = std::move(hook); }

 private:
  ApiKeyStore(Storage* storage, const Clock* clock, const TenantRegistry* tenants,
              size_t max_active_per_tenant)
      : storage_(storage), clock_(clock), tenants_(tenants), max_active_per_tenant_(max_active_per_tenant) {}
  Status Load(Stored stored);
  static std::string Serialize(const Record& r);  // the stored JSON
  Status Persist(const Record& r);
  // Counts a create of `t` as pending, unless the tenant is at its limit.
  // The counts live in the tenant (Tenant::api_key_count), not in a map
  // entry per tenant here; they count creates in flight too, so the check
  // holds without keeping mu_ (which every authentication takes) over the
  // fsync.
  Status Reserve(const Tenant& t);
  // A new key of `t` in *r, stored; its token.
  Result<NewApiKey> MakeKey(const Tenant& t, Role role, const ApiKeyOptions& options, Record* r);
  // Ends a pending create of `t`: its key is now active, or it failed.
  void EndPending(const Tenant& t, bool stored) REQUIRES(mu_);

  Storage* const storage_;
  const Clock* const clock_;
  const TenantRegistry* const tenants_;
  const size_t max_active_per_tenant_;
  mutable SharedMutex mu_;
  // By key id, as the number its 16 hex digits spell (key_token.h): no
  // string of its own per key in memory.
  std::map<uint64_t, Record> keys_ GUARDED_BY(mu_);
  std::function<void()> create_hook_for_test_;
};

}  // namespace tenantkv::engine
