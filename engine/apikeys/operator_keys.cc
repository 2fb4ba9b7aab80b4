#include "engine/apikeys/operator_keys.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "crypto/hash.h"
#include "crypto/random.h"
#include "engine/apikeys/api_keys.h"
#include "engine/apikeys/key_token.h"
#include "engine/storage/rocks_status.h"
#include "engine/storage/system_keys.h"

namespace tenantkv::engine {
namespace {

using nlohmann::json;
constexpr char kTokenPrefix[] = "tkvo_";
using key_token::kIdHex;
using key_token::kSecretHex;
using key_token::SecretDigest;

}  // namespace

bool LooksLikeOperatorKey(std::string_view token) { return key_token::HasShape(token, kTokenPrefix); }

Result<std::unique_ptr<OperatorKeyStore>> OperatorKeyStore::Open(Storage* storage, const Clock* clock) {
  std::unique_ptr<OperatorKeyStore> s(new OperatorKeyStore(storage, clock));
  TKV_RETURN_IF_ERROR(s->Load());
  return s;
}

Status OperatorKeyStore::Load() {
  std::map<std::string, Record> keys;
  std::unique_ptr<rocksdb::Iterator> it(storage_->db()->NewIterator(rocksdb::ReadOptions(), storage_->system()));
  for (it->Seek(kOperatorKeyPrefix); it->Valid() && it->key().starts_with(kOperatorKeyPrefix); it->Next()) {
    const json j = json::parse(it->value().ToStringView(), nullptr, false);
    try {
      Record r;
      r.info.key_id = j.at("key_id").get<std::string>();
      r.info.name = j.at("name").get<std::string>();
      r.info.created_at_ms = j.at("created_at_ms").get<int64_t>();
      r.info.revoked_at_ms = j.at("revoked_at_ms").get<int64_t>();
      auto hash = crypto::HexDecode(j.at("secret_sha256").get<std::string>());
      if (!hash || hash->size() != 32) return Status::DataLoss("operator key record has a bad hash");
      r.secret_hash = std::move(*hash);
      r.local_only = j.value("local_only", false);
      keys[r.info.key_id] = std::move(r);
    } catch (const json::exception&) {
      return Status::DataLoss("operator key record '" + it->key().ToString() + "' is malformed");
    }
  }
  TKV_RETURN_IF_ERROR(FromRocks(it->status(), "read operator keys"));
  WriterLock lock(mu_);
  keys_ = std::move(keys);
  return Status::Ok();
}

Status OperatorKeyStore::Persist(const Record& r) {
  json j = {{"key_id", r.info.key_id},
            {"name", r.info.name},
            {"created_at_ms", r.info.created_at_ms},
            {"revoked_at_ms", r.info.revoked_at_ms},
            {"secret_sha256", crypto::HexEncode(r.secret_hash)}};
  if (r.local_only) j["local_only"] = true;
  const std::string value = j.dump();
  return FromRocks(storage_->db()->Put(storage_->meta_write_options(), storage_->system(),
                                       kOperatorKeyPrefix + r.info.key_id, value),
                   "persist operator key");
}

Result<NewOperatorKey> OperatorKeyStore::Create(const std::string& name) {
  TKV_RETURN_IF_ERROR(ValidateApiKeyName(name));
  // Creates are rare: one at a time, so the name and the cap checked here
  // still hold when the key joins the map, without holding mu_ (which every
  // authentication takes) over the synced write.
  MutexLock one_at_a_time(create_mu_);
  {
    ReaderLock lock(mu_);
    size_t active = 0;
    for (const auto& [id, r] : keys_) {
      if (r.info.revoked()) continue;
      ++active;
      if (r.info.name == name) {
        return Status::AlreadyExists("an active operator key is named '" + name + "'", "operator_exists");
      }
    }
    if (active >= kMaxActiveOperatorKeys) {
      return Status::AlreadyExists("at most " + std::to_string(kMaxActiveOperatorKeys) + " active operator keys",
                                   "operator_key_limit");
    }
  }
  TKV_ASSIGN_OR_RETURN(std::string id, crypto::RandomHex(kIdHex / 2));
  TKV_ASSIGN_OR_RETURN(std::string secret, crypto::RandomHex(kSecretHex / 2));
  Record r;
  r.info.key_id = id;
  r.info.name = name;
  r.info.created_at_ms = clock_->NowUnixMillis();
  r.secret_hash = SecretDigest(secret);
  TKV_RETURN_IF_ERROR(Persist(r));
  NewOperatorKey out{r.info, kTokenPrefix + id + "_" + secret};
  WriterLock lock(mu_);
  keys_[id] = std::move(r);
  return out;
}

std::vector<OperatorKeyInfo> OperatorKeyStore::List() const {
  std::vector<OperatorKeyInfo> out;
  {
    ReaderLock lock(mu_);
    for (const auto& [id, r] : keys_) out.push_back(r.info);
  }
  std::sort(out.begin(), out.end(), [](const OperatorKeyInfo& a, const OperatorKeyInfo& b) {
    return a.created_at_ms != b.created_at_ms ? a.created_at_ms < b.created_at_ms : a.key_id < b.key_id;
  });
  return out;
}

Status OperatorKeyStore::Revoke(const std::string& key_id) {
  MutexLock one_at_a_time(create_mu_);
  Record next;
  {
    ReaderLock lock(mu_);
    auto it = keys_.find(key_id);
    if (it == keys_.end()) return Status::NotFound("no such operator key", "operator_key_not_found");
    if (it->second.info.revoked()) return Status::Ok();
    next = it->second;
  }
  next.info.revoked_at_ms = std::max<int64_t>(1, clock_->NowUnixMillis());
  TKV_RETURN_IF_ERROR(Persist(next));
  WriterLock lock(mu_);
  keys_[key_id] = std::move(next);
  return Status::Ok();
}

Result<MintedOperatorKey> OperatorKeyStore::Mint(const std::string& name) const {
  TKV_RETURN_IF_ERROR(ValidateApiKeyName(name));
  TKV_ASSIGN_OR_RETURN(std::string id, crypto::RandomHex(kIdHex / 2));
  TKV_ASSIGN_OR_RETURN(std::string secret, crypto::RandomHex(kSecretHex / 2));
  MintedOperatorKey out;
  out.key.info.key_id = id;
  out.key.info.name = name;
  out.key.info.created_at_ms = clock_->NowUnixMillis();
  out.key.secret_hash = SecretDigest(secret);
  out.token = kTokenPrefix + id + "_" + secret;
  return out;
}

Status OperatorKeyStore::Adopt(const StoredOperatorKey& key, bool* changed) {
  if (changed != nullptr) *changed = false;
  if (key.info.key_id.size() != kIdHex || key.secret_hash.size() != 32) {
    return Status::InvalidArgument("not an operator key record");
  }
  MutexLock one_at_a_time(create_mu_);
  Record next = key;
  next.local_only = false;
  {
    ReaderLock lock(mu_);
    auto it = keys_.find(key.info.key_id);
    if (it != keys_.end()) {
      const Record& held = it->second;
      if (held.local_only) return Status::Ok();
      if (held.info.revoked() && (!next.info.revoked() || held.info.revoked_at_ms < next.info.revoked_at_ms)) {
        next.info.revoked_at_ms = held.info.revoked_at_ms;  // never active again; the first revocation stands
      }
      if (held.info.name == next.info.name && held.info.created_at_ms == next.info.created_at_ms &&
          held.info.revoked_at_ms == next.info.revoked_at_ms && held.secret_hash == next.secret_hash) {
        return Status::Ok();
      }
    }
  }
  TKV_RETURN_IF_ERROR(Persist(next));
  WriterLock lock(mu_);
  keys_[next.info.key_id] = std::move(next);
  if (changed != nullptr) *changed = true;
  return Status::Ok();
}

Status OperatorKeyStore::MarkLocalOnly(const std::string& key_id) {
  MutexLock one_at_a_time(create_mu_);
  Record next;
  {
    ReaderLock lock(mu_);
    auto it = keys_.find(key_id);
    if (it == keys_.end()) return Status::NotFound("no such operator key", "operator_key_not_found");
    if (it->second.local_only) return Status::Ok();
    next = it->second;
  }
  next.local_only = true;
  TKV_RETURN_IF_ERROR(Persist(next));
  WriterLock lock(mu_);
  keys_[key_id] = std::move(next);
  return Status::Ok();
}

std::vector<StoredOperatorKey> OperatorKeyStore::Records() const {
  std::vector<StoredOperatorKey> out;
  ReaderLock lock(mu_);
  for (const auto& [id, r] : keys_) out.push_back(r);
  return out;
}

std::optional<StoredOperatorKey> OperatorKeyStore::Find(const std::string& key_id) const {
  ReaderLock lock(mu_);
  auto it = keys_.find(key_id);
  if (it == keys_.end()) return std::nullopt;
  return it->second;
}

Result<OperatorKeyInfo> OperatorKeyStore::Authenticate(std::string_view token, bool* unknown) const {
  static const std::string kDummyHash(32, '\0');
  const bool well_formed = LooksLikeOperatorKey(token);
  const std::string presented = SecretDigest(well_formed ? key_token::SecretOf(token, kTokenPrefix) : token);
  ReaderLock lock(mu_);
  auto it = well_formed ? keys_.find(std::string(key_token::IdOf(token, kTokenPrefix))) : keys_.end();
  const bool found = it != keys_.end();
  if (unknown != nullptr) *unknown = well_formed && !found;
  const bool match = crypto::ConstantTimeEquals(presented, found ? it->second.secret_hash : kDummyHash);
  if (!found || !match || it->second.info.revoked()) {
    return Status::Unauthenticated("invalid or revoked API token", "invalid_token");
  }
  return it->second.info;
}

}  // namespace tenantkv::engine
