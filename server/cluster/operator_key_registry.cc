#include "server/cluster/operator_key_registry.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "crypto/hash.h"
#include "server/cluster/etcd_keys.h"

namespace tenantkv::server::cluster {
namespace {

using json = nlohmann::json;

constexpr int64_t kPage = 1000;
// A revocation is guarded by the record as read; this many tries while
// other writers keep changing it.
constexpr int kRetries = 4;

bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

bool ValidKeyId(const std::string& id) { return id.size() == 16 && std::all_of(id.begin(), id.end(), IsLowerHex); }

Status BadRecord(const std::string& why) {
  return Status::InvalidArgument("not an operator key record: " + why, "bad_operator_key_record");
}

Status CheckKey(const ClusterOperatorKey& k) {
  if (!ValidKeyId(k.key_id)) return BadRecord("the key id is not 16 lowercase hex digits");
  if (k.name.empty()) return BadRecord("the name is empty");
  if (k.secret_sha256.size() != 32) return BadRecord("the secret's digest is not 32 bytes");
  if (k.created_at_ms < 0 || k.revoked_at_ms < 0) return BadRecord("a time is negative");
  return Status::Ok();
}

// Lowercase hex only, as written: a record is stored in one spelling.
std::optional<std::string> FromHex(const std::string& hex) {
  if (!std::all_of(hex.begin(), hex.end(), IsLowerHex)) return std::nullopt;
  return crypto::HexDecode(hex);
}

EtcdCompare Absent(const std::string& key) {
  return {key, EtcdCompare::Target::kCreateRevision, EtcdCompare::Op::kEqual, 0};
}

EtcdCompare Unchanged(const std::string& key, int64_t mod_revision) {
  return {key, EtcdCompare::Target::kModRevision, EtcdCompare::Op::kEqual, mod_revision};
}

}  // namespace

std::string OperatorKeyRecordJson(const ClusterOperatorKey& key) {
  return json{{"name", key.name},
              {"created_at_ms", key.created_at_ms},
              {"revoked_at_ms", key.revoked_at_ms},
              {"secret_sha256", crypto::HexEncode(key.secret_sha256)}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<ClusterOperatorKey> ParseOperatorKeyRecord(const std::string& key_id, const std::string& json_text) {
  const json j = json::parse(json_text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return BadRecord("not a JSON object");
  ClusterOperatorKey k;
  k.key_id = key_id;
  auto name = j.find("name");
  auto hash = j.find("secret_sha256");
  auto created = j.find("created_at_ms");
  auto revoked = j.find("revoked_at_ms");
  if (name == j.end() || !name->is_string()) return BadRecord("'name' is not a string");
  if (hash == j.end() || !hash->is_string()) return BadRecord("'secret_sha256' is not a string");
  if (created == j.end() || !created->is_number_integer() || revoked == j.end() || !revoked->is_number_integer()) {
    return BadRecord("'created_at_ms' and 'revoked_at_ms' must be integers");
  }
  k.name = name->get<std::string>();
  std::optional<std::string> raw = FromHex(hash->get<std::string>());
  if (!raw) return BadRecord("'secret_sha256' is not lowercase hex");
  k.secret_sha256 = std::move(*raw);
  k.created_at_ms = created->get<int64_t>();
  k.revoked_at_ms = revoked->get<int64_t>();
  TKV_RETURN_IF_ERROR(CheckKey(k));
  return k;
}

Status OperatorKeyRegistry::Unreachable(const Status& s) {
  return Status::Unavailable("the cluster's etcd cannot be reached: " + s.message(), "cluster_unavailable");
}

Status OperatorKeyRegistry::Create(const ClusterOperatorKey& key, size_t max_active) {
  TKV_RETURN_IF_ERROR(CheckKey(key));
  if (key.revoked()) return BadRecord("a new key is active");
  const int64_t count_limit = static_cast<int64_t>(std::clamp<size_t>(max_active + 1, 1, 10000));
  Result<std::vector<EtcdKeyValue>> names =
      etcd_->GetPrefix(std::string(kOperatorKeyNamesPrefix), count_limit, nullptr);
  if (!names.ok()) return Unreachable(names.status());
  if (names->size() >= max_active) {
    return Status::AlreadyExists("at most " + std::to_string(max_active) + " active operator keys in the cluster",
                                 "operator_key_limit");
  }
  return Publish(key);
}

Status OperatorKeyRegistry::Publish(const ClusterOperatorKey& key) {
  TKV_RETURN_IF_ERROR(CheckKey(key));
  const std::string record_key = OperatorKeyKey(key.key_id);
  const std::string name_key = OperatorKeyNameKey(key.name);
  EtcdTxn txn;
  txn.compare.push_back(Absent(record_key));
  txn.success.push_back(EtcdOp::Put(record_key, OperatorKeyRecordJson(key)));
  if (!key.revoked()) {
    txn.compare.push_back(Absent(name_key));
    txn.success.push_back(EtcdOp::Put(name_key, key.key_id));
  }
  txn.success.push_back(EtcdOp::Put(std::string(kOperatorKeysChangedKey), ""));
  Result<EtcdTxnResult> r = etcd_->Txn(txn);
  if (!r.ok()) return Unreachable(r.status());
  if (r->succeeded) return Status::Ok();
  // Which guard failed: the id's, or the name's.
  TKV_ASSIGN_OR_RETURN(std::optional<ClusterOperatorKey> held, Get(key.key_id));
  if (held.has_value()) {
    if (held->secret_sha256 == key.secret_sha256) return Status::Ok();  // this very key, published already
    return Status::AlreadyExists("operator key id " + key.key_id + " is held by another key", "key_id_taken");
  }
  return Status::AlreadyExists("an active operator key of the cluster is named '" + key.name + "'",
                               "operator_exists");
}

Result<std::optional<ClusterOperatorKey>> OperatorKeyRegistry::Revoke(const std::string& key_id,
                                                                      int64_t revoked_at_ms) {
  if (!ValidKeyId(key_id)) return std::optional<ClusterOperatorKey>();
  const std::string record_key = OperatorKeyKey(key_id);
  for (int attempt = 0; attempt < kRetries; ++attempt) {
    TKV_ASSIGN_OR_RETURN(std::optional<ClusterOperatorKey> held, Get(key_id));
    if (!held.has_value() || held->revoked()) return held;
    const std::string name_key = OperatorKeyNameKey(held->name);
    Result<std::optional<EtcdKeyValue>> name = etcd_->Get(name_key);
    if (!name.ok()) return Unreachable(name.status());
    ClusterOperatorKey next = *held;
    next.revoked_at_ms = std::max<int64_t>(1, revoked_at_ms);
    EtcdTxn txn;
    txn.compare.push_back(Unchanged(record_key, held->mod_revision));
    txn.success.push_back(EtcdOp::Put(record_key, OperatorKeyRecordJson(next)));
    // The name's entry goes only if it is this key's (never another's).
    if (name->has_value() && (*name)->value == key_id) {
      txn.compare.push_back(Unchanged(name_key, (*name)->mod_revision));
      txn.success.push_back(EtcdOp::Delete(name_key));
    }
    txn.success.push_back(EtcdOp::Put(std::string(kOperatorKeysChangedKey), ""));
    Result<EtcdTxnResult> r = etcd_->Txn(txn);
    if (!r.ok()) return Unreachable(r.status());
    if (r->succeeded) {
      next.mod_revision = r->revision;
      return std::optional<ClusterOperatorKey>(std::move(next));
    }
  }
  return Status::FailedPrecondition("operator key " + key_id + " kept changing", "operator_key_changed");
}

Result<std::optional<ClusterOperatorKey>> OperatorKeyRegistry::Get(const std::string& key_id) {
  if (!ValidKeyId(key_id)) return std::optional<ClusterOperatorKey>();
  Result<std::optional<EtcdKeyValue>> got = etcd_->Get(OperatorKeyKey(key_id));
  if (!got.ok()) return Unreachable(got.status());
  if (!got->has_value()) return std::optional<ClusterOperatorKey>();
  Result<ClusterOperatorKey> k = ParseOperatorKeyRecord(key_id, (*got)->value);
  if (!k.ok()) {
    return Status::DataLoss(OperatorKeyKey(key_id) + " in etcd is malformed: " + k.status().message(),
                            "bad_operator_key_record");
  }
  k->mod_revision = (*got)->mod_revision;
  return std::optional<ClusterOperatorKey>(std::move(*k));
}

Result<OperatorKeyListing> OperatorKeyRegistry::List() {
  OperatorKeyListing out;
  const std::string prefix(kOperatorKeysPrefix);
  const std::string end = PrefixRangeEnd(prefix);
  std::string start = prefix;
  int64_t read = 0;
  for (;;) {
    bool more = false;
    const int64_t limit = std::min(kPage, kMaxRecords - read);
    Result<std::vector<EtcdKeyValue>> kvs = etcd_->GetRange(start, end, limit, &more);
    if (!kvs.ok()) return Unreachable(kvs.status());
    read += static_cast<int64_t>(kvs->size());
    for (const EtcdKeyValue& kv : *kvs) {
      const std::string id = kv.key.substr(prefix.size());
      Result<ClusterOperatorKey> k = ParseOperatorKeyRecord(id, kv.value);
      if (!k.ok()) {
        spdlog::warn("cluster: skipping the malformed operator key record {}: {}", kv.key, k.status().message());
        continue;
      }
      k->mod_revision = kv.mod_revision;
      out.keys.push_back(std::move(*k));
    }
    if (!more || kvs->empty()) break;
    if (read >= kMaxRecords) {
      out.complete = false;
      break;
    }
    start = kvs->back().key + std::string(1, '\0');
  }
  return out;
}

Result<int64_t> OperatorKeyRegistry::ChangeMark() {
  Result<std::optional<EtcdKeyValue>> got = etcd_->Get(std::string(kOperatorKeysChangedKey));
  if (!got.ok()) return Unreachable(got.status());
  return got->has_value() ? (*got)->mod_revision : 0;
}

}  // namespace tenantkv::server::cluster
