#include "engine/apikeys/api_keys.h"

#include <nlohmann/json.hpp>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <optional>

#include "crypto/hash.h"
#include "crypto/random.h"
#include "engine/apikeys/key_token.h"
#include "engine/storage/rocks_status.h"
#include "engine/storage/system_keys.h"
#include "engine/tenants/tenant_registry.h"

namespace tenantkv::engine {
namespace {

using nlohmann::json;
constexpr const char* kPrefix = kApiKeyPrefix;
constexpr char kTokenPrefix[] = "tkv_";
using key_token::kIdHex;
using key_token::kSecretHex;
using key_token::SecretDigest;

Status TenantGone(const std::string& tenant) {
  return Status::NotFound("tenant '" + tenant + "' does not exist", "tenant_not_found");
}

// The code point starting at s[*i], advancing *i past it; nullopt for a
// byte sequence that is not UTF-8 (overlong forms and surrogates included).
std::optional<char32_t> NextCodePoint(std::string_view s, size_t* i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(*i);
  size_t len = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if (lead < 0x80) {
    ++*i;
    return lead;
  } else if ((lead & 0xE0) == 0xC0) {
    len = 2, cp = lead & 0x1F, min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    len = 3, cp = lead & 0x0F, min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    len = 4, cp = lead & 0x07, min = 0x10000;
  } else {
    return std::nullopt;
  }
  if (s.size() - *i < len) return std::nullopt;
  for (size_t k = 1; k < len; ++k) {
    if ((byte(*i + k) & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (byte(*i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
  *i += len;
  return cp;
}

bool IsRefusedInName(char32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

}  // namespace

const char* RoleName(Role r) {
  switch (r) {
    case Role::kRead: return "read";
    case Role::kWrite: return "write";
    case Role::kAdmin: return "admin";
  }
  return "read";
}

Result<Role> ParseRole(std::string_view name) {
  if (name == "read") return Role::kRead;
  if (name == "write") return Role::kWrite;
  if (name == "admin") return Role::kAdmin;
  return Status::InvalidArgument("role must be one of read, write, admin", "invalid_role");
}

Status ValidateApiKeyName(std::string_view name) {
  return ValidateFreeText(name, kMaxApiKeyNameBytes, "name", "invalid_name");
}

Status ValidateFreeText(std::string_view text, size_t max_bytes, const std::string& field,
                        const std::string& reason) {
  const Status bad = Status::InvalidArgument(
      "'" + field + "' must be 1 to " + std::to_string(max_bytes) +
          " bytes of UTF-8 without control or bidirectional formatting characters",
      reason);
  if (text.empty() || text.size() > max_bytes) return bad;
  for (size_t i = 0; i < text.size();) {
    std::optional<char32_t> cp = NextCodePoint(text, &i);
    if (!cp || IsRefusedInName(*cp)) return bad;
  }
  return Status::Ok();
}

namespace {

// The number a key id's 16 lowercase hex digits spell; nullopt for any
// other string (no key has one: MakeKey makes them, Read refuses others).
std::optional<uint64_t> KeyNumber(std::string_view id) {
  if (id.size() != key_token::kIdHex) return std::nullopt;
  uint64_t n = 0;
  for (const char c : id) {
    int digit = 0;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else {
      return std::nullopt;
    }
    n = (n << 4) | static_cast<uint64_t>(digit);
  }
  return n;
}

}  // namespace

Result<std::unique_ptr<ApiKeyStore>> ApiKeyStore::Open(Storage* storage, const Clock* clock,
                                                       const TenantRegistry* tenants,
                                                       size_t max_active_per_tenant) {
  TKV_ASSIGN_OR_RETURN(Stored stored, Read(storage));
  return Open(storage, clock, tenants, max_active_per_tenant, std::move(stored));
}

Result<std::unique_ptr<ApiKeyStore>> ApiKeyStore::Open(Storage* storage, const Clock* clock,
                                                       const TenantRegistry* tenants, size_t max_active_per_tenant,
                                                       Stored stored) {
  if (max_active_per_tenant == 0) return Status::InvalidArgument("max_active_per_tenant must be >= 1");
  std::unique_ptr<ApiKeyStore> s(new ApiKeyStore(storage, clock, tenants, max_active_per_tenant));
  TKV_RETURN_IF_ERROR(s->Load(std::move(stored)));
  return s;
}

Result<ApiKeyStore::Stored> ApiKeyStore::Read(Storage* storage) {
  Stored out;
  std::unique_ptr<rocksdb::Iterator> it(storage->db()->NewIterator(ReadOnceOptions(), storage->system()));
  for (it->Seek(kPrefix); it->Valid() && it->key().starts_with(kPrefix); it->Next()) {
    json j = json::parse(it->value().ToStringView(), nullptr, false);
    try {
      Record r;
      r.info.key_id = j.at("key_id").get<std::string>();
      if (!KeyNumber(r.info.key_id)) return Status::DataLoss("API key record has a malformed key id");
      r.info.tenant = j.at("tenant").get<std::string>();
      if (j.contains("tenant_incarnation")) r.info.tenant_incarnation = j.at("tenant_incarnation").get<std::string>();
      TKV_ASSIGN_OR_RETURN(r.info.role, ParseRole(j.at("role").get<std::string>()));
      r.info.created_at_ms = j.at("created_at_ms").get<int64_t>();
      r.info.revoked_at_ms = j.at("revoked_at_ms").get<int64_t>();
      // Absent in records of keys made without them, and before format 4.
      if (j.contains("name")) r.info.name = j.at("name").get<std::string>();
      if (j.contains("expires_at_ms")) r.info.expires_at_ms = j.at("expires_at_ms").get<int64_t>();
      auto hash = crypto::HexDecode(j.at("secret_sha256").get<std::string>());
      if (!hash || hash->size() != 32) return Status::DataLoss("API key record has a bad hash");
      std::copy(hash->begin(), hash->end(), r.secret_hash.begin());
      out.records.emplace_back(it->key().ToString(), std::move(r));
    } catch (const json::exception& e) {
      return Status::DataLoss(std::string("API key record is malformed: ") + e.what());
    }
  }
  TKV_RETURN_IF_ERROR(FromRocks(it->status(), "load API keys"));
  return out;
}

Status ApiKeyStore::Load(Stored stored) {
  std::map<uint64_t, Record> keys;
  std::map<const Tenant*, uint32_t> active;
  rocksdb::WriteBatch fixes;  // keys bound to their tenant's incarnation, or removed
  for (auto& [db_key, r] : stored.records) {
    auto tenant = tenants_->Get(r.info.tenant);
    if (tenant.ok() && r.info.tenant_incarnation.empty() &&
        r.info.created_at_ms >= (*tenant)->Info().created_at_ms) {
      r.info.tenant_incarnation = (*tenant)->incarnation();  // the shape before incarnations
      TKV_RETURN_IF_ERROR(FromRocks(fixes.Put(storage_->system(), db_key, Serialize(r)), "stage"));
    }
    if (!tenant.ok() || r.info.tenant_incarnation != (*tenant)->incarnation()) {
      TKV_RETURN_IF_ERROR(FromRocks(fixes.Delete(storage_->system(), db_key), "stage"));
      continue;
    }
    if (!r.info.revoked()) active[tenant->get()]++;
    keys[*KeyNumber(r.info.key_id)] = std::move(r);
  }
  {
    WriterLock lock(mu_);  // uncontended (Open runs it), taken for the analysis
    keys_ = std::move(keys);
    for (const auto& [t, n] : active) t->api_key_count().active = n;
  }
  if (fixes.Count() == 0) return Status::Ok();
  return FromRocks(storage_->db()->Write(storage_->meta_write_options(), &fixes), "bind or remove API keys");
}

Status ApiKeyStore::AdoptTenant(const Tenant& t) {
  TKV_ASSIGN_OR_RETURN(Stored stored, Read(storage_));
  WriterLock lock(mu_);
  for (auto& [db_key, r] : stored.records) {
    if (r.info.tenant != t.id() || r.info.tenant_incarnation != t.incarnation()) continue;
    const uint64_t n = *KeyNumber(r.info.key_id);
    if (keys_.count(n) != 0) continue;
    if (!r.info.revoked()) t.api_key_count().active++;
    keys_[n] = std::move(r);
  }
  return Status::Ok();
}

std::string ApiKeyStore::Serialize(const Record& r) {
  json j = {{"key_id", r.info.key_id},
            {"tenant", r.info.tenant},
            {"tenant_incarnation", r.info.tenant_incarnation},
            {"role", RoleName(r.info.role)},
            {"created_at_ms", r.info.created_at_ms},
            {"revoked_at_ms", r.info.revoked_at_ms},
            {"secret_sha256", crypto::HexEncode(std::string_view(r.secret_hash.data(), r.secret_hash.size()))}};
  // Only when set: a key without them keeps the shape it had before.
  if (!r.info.name.empty()) j["name"] = r.info.name;
  if (r.info.has_expiry()) j["expires_at_ms"] = r.info.expires_at_ms;
  return j.dump();
}

Status ApiKeyStore::Persist(const Record& r) {
  return FromRocks(storage_->db()->Put(storage_->meta_write_options(), storage_->system(),
                                       kPrefix + r.info.key_id, Serialize(r)),
                   "persist API key");
}

Result<NewApiKey> ApiKeyStore::Create(const std::string& tenant, Role role, const ApiKeyOptions& options) {
  TKV_ASSIGN_OR_RETURN(std::shared_ptr<Tenant> t, tenants_->Get(tenant));
  return Create(*t, role, options);
}

void ApiKeyStore::EndPending(const Tenant& t, bool stored) {
  Tenant::ApiKeyCount& n = t.api_key_count();
  if (n.pending > 0) n.pending--;
  if (stored) n.active++;
}

Status ApiKeyStore::Reserve(const Tenant& t) {
  WriterLock lock(mu_);
  Tenant::ApiKeyCount& n = t.api_key_count();
  if (n.active + n.pending >= max_active_per_tenant_) {
    return Status::AlreadyExists("the tenant has " + std::to_string(max_active_per_tenant_) +
                                     " active API keys, the most allowed; revoke one first",
                                 "api_key_limit");
  }
  n.pending++;
  return Status::Ok();
}

Result<NewApiKey> ApiKeyStore::MakeKey(const Tenant& t, Role role, const ApiKeyOptions& options, Record* r) {
  TKV_ASSIGN_OR_RETURN(std::string id, crypto::RandomHex(kIdHex / 2));
  TKV_ASSIGN_OR_RETURN(std::string secret, crypto::RandomHex(kSecretHex / 2));
  r->info.key_id = id;
  r->info.tenant = t.id();
  r->info.tenant_incarnation = t.incarnation();
  r->info.role = role;
  r->info.created_at_ms = clock_->NowUnixMillis();
  r->info.name = options.name;
  r->info.expires_at_ms = options.expires_at_ms;
  const std::string digest = SecretDigest(secret);
  if (digest.size() != r->secret_hash.size()) return Status::Internal("a secret's digest is not 32 bytes");
  std::copy(digest.begin(), digest.end(), r->secret_hash.begin());
  TKV_RETURN_IF_ERROR(Persist(*r));
  return NewApiKey{r->info, "tkv_" + id + "_" + secret};
}

Result<NewApiKey> ApiKeyStore::Create(const Tenant& t, Role role, const ApiKeyOptions& options) {
  if (!options.name.empty()) TKV_RETURN_IF_ERROR(ValidateApiKeyName(options.name));
  if (options.expires_at_ms != 0 && options.expires_at_ms <= clock_->NowUnixMillis()) {
    return Status::InvalidArgument("'expires_at' must be in the future", "invalid_expires_at");
  }
  if (t.state() == TenantState::kDeleting) return TenantGone(t.id());
  // The cap counts creates in flight too, so it holds without keeping mu_
  // (which every authentication takes) over the fsync.
  TKV_RETURN_IF_ERROR(Reserve(t));
  Record r;
  Result<NewApiKey> out = MakeKey(t, role, options, &r);
  if (out.ok() && create_hook_for_test_) create_hook_for_test_();
  {
    // The tenant is checked again under the lock RemoveTenant takes. A
    // delete persists "deleting" before it removes the keys, so either this
    // key is in memory when they are removed, or the delete is seen here.
    WriterLock lock(mu_);
    const bool keep = out.ok() && t.state() != TenantState::kDeleting;
    EndPending(t, keep);
    if (!out.ok()) return out.status();
    if (keep) {
      keys_[*KeyNumber(r.info.key_id)] = std::move(r);
      return out;
    }
  }
  // Never leave its record behind; if this fails, the next start removes it.
  rocksdb::WriteBatch undo;
  undo.Delete(storage_->system(), kPrefix + r.info.key_id).PermitUncheckedError();
  FromRocks(storage_->db()->Write(storage_->meta_write_options(), &undo), "remove API key").IgnoreError();
  return TenantGone(t.id());
}

std::vector<ApiKeyInfo> ApiKeyStore::List(const std::string& tenant) const {
  std::vector<ApiKeyInfo> out;
  ReaderLock lock(mu_);
  for (const auto& [id, r] : keys_) {
    if (r.info.tenant == tenant) out.push_back(r.info);
  }
  std::sort(out.begin(), out.end(), [](const ApiKeyInfo& a, const ApiKeyInfo& b) {
    return a.created_at_ms != b.created_at_ms ? a.created_at_ms < b.created_at_ms : a.key_id < b.key_id;
  });
  return out;
}

Status ApiKeyStore::Revoke(const std::string& tenant, const std::string& key_id) {
  // Before mu_: the registry is never called into under it.
  const auto live = tenants_->Get(tenant);
  WriterLock lock(mu_);
  const std::optional<uint64_t> number = KeyNumber(key_id);
  auto it = number ? keys_.find(*number) : keys_.end();
  if (it == keys_.end() || it->second.info.tenant != tenant) {
    return Status::NotFound("no such API key for this tenant", "apikey_not_found");
  }
  if (it->second.info.revoked()) return Status::Ok();
  Record next = it->second;
  next.info.revoked_at_ms = std::max<int64_t>(1, clock_->NowUnixMillis());
  TKV_RETURN_IF_ERROR(Persist(next));
  it->second = std::move(next);
  // Counted in the tenant it was bound to, if that one is still the live one.
  if (live.ok() && (*live)->incarnation() == it->second.info.tenant_incarnation) {
    Tenant::ApiKeyCount& n = (*live)->api_key_count();
    if (n.active > 0) n.active--;
  }
  return Status::Ok();
}

Status ApiKeyStore::RemoveTenant(const std::string& tenant) {
  const auto live = tenants_->Get(tenant);  // before mu_, as in Revoke
  WriterLock lock(mu_);
  rocksdb::WriteBatch batch;
  for (const auto& [number, r] : keys_) {
    if (r.info.tenant == tenant) batch.Delete(storage_->system(), kPrefix + r.info.key_id).PermitUncheckedError();
  }
  TKV_RETURN_IF_ERROR(FromRocks(storage_->db()->Write(storage_->meta_write_options(), &batch),
                                "remove API keys"));
  for (auto it = keys_.begin(); it != keys_.end();) {
    it = it->second.info.tenant == tenant ? keys_.erase(it) : std::next(it);
  }
  if (live.ok()) (*live)->api_key_count().active = 0;  // a create still pending keeps its reservation
  return Status::Ok();
}

bool ApiKeyStore::Holds(std::string_view key_id) const {
  const std::optional<uint64_t> number = KeyNumber(key_id);
  if (!number) return false;
  ReaderLock lock(mu_);
  return keys_.count(*number) != 0;
}

std::string ApiKeyStore::TenantOfKey(std::string_view key_id) const {
  const std::optional<uint64_t> number = KeyNumber(key_id);
  if (!number) return "";
  ReaderLock lock(mu_);
  auto it = keys_.find(*number);
  return it == keys_.end() ? std::string() : it->second.info.tenant;
}

std::string_view ApiKeyStore::KeyIdOfToken(std::string_view token) {
  return key_token::HasShape(token, kTokenPrefix) ? key_token::IdOf(token, kTokenPrefix) : std::string_view();
}

Result<ApiKeyInfo> ApiKeyStore::Authenticate(std::string_view token, std::shared_ptr<Tenant>* tenant) const {
  static const std::string kDummyHash(32, '\0');
  auto denied = [] { return Status::Unauthenticated("invalid or revoked API token", "invalid_token"); };
  const bool well_formed = key_token::HasShape(token, kTokenPrefix);
  std::string_view secret = well_formed ? key_token::SecretOf(token, kTokenPrefix) : token;
  const std::string presented = SecretDigest(secret);  // hashed whatever happens, for uniform timing
  // Read before the lookup and whatever the token, like the hash above.
  const int64_t now_ms = clock_->NowUnixMillis();
  ApiKeyInfo info;
  {
    ReaderLock lock(mu_);
    const std::optional<uint64_t> number =
        well_formed ? KeyNumber(key_token::IdOf(token, kTokenPrefix)) : std::optional<uint64_t>();
    auto it = number ? keys_.find(*number) : keys_.end();
    const bool found = it != keys_.end();
    const std::string_view stored =
        found ? std::string_view(it->second.secret_hash.data(), it->second.secret_hash.size()) : kDummyHash;
    const bool match = crypto::ConstantTimeEquals(presented, stored);
    if (!found || !match || it->second.info.revoked()) return denied();
    info = it->second.info;
  }
  // Its own tenant only: not one deleting, nor a later one of the same id.
  auto t = tenants_->Get(info.tenant);
  if (!t.ok() || (*t)->incarnation() != info.tenant_incarnation || (*t)->state() == TenantState::kDeleting) {
    return denied();
  }
  if (tenant != nullptr) *tenant = std::move(t).value();
  // Judged on every call from the clock, so no earlier success is reused.
  if (info.expired(now_ms)) {
    return Status::Unauthenticated("the API key expired at its expires_at; create a new one", "key_expired");
  }
  return info;
}

}  // namespace tenantkv::engine
