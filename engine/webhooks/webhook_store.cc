#include "engine/webhooks/webhook_store.h"

#include <nlohmann/json.hpp>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "crypto/hash.h"
#include "crypto/random.h"
#include "engine/storage/rocks_status.h"
#include "engine/storage/system_keys.h"

namespace tenantkv::engine {
namespace {

using nlohmann::json;

constexpr size_t kSecretHexBytes = 24;  // 48 hex digits after "whsec_"

std::string RecordKey(const std::string& id) { return std::string(kWebhookPrefix) + id; }

std::string WrapContext(const std::string& id, uint32_t master_version) {
  return "webhook/" + id + "/" + std::to_string(master_version);
}

Result<std::string> Wrap(const crypto::KeyProvider& keys, const std::string& id, uint32_t version,
                         std::string_view secret) {
  crypto::SecretBytes plain(secret.size());
  std::memcpy(plain.data(), secret.data(), secret.size());
  return keys.Wrap(version, WrapContext(id, version), plain);
}

bool Before(const WebhookEndpoint& a, const WebhookEndpoint& b) {
  return a.created_at_ms != b.created_at_ms ? a.created_at_ms < b.created_at_ms : a.id < b.id;
}

}  // namespace

bool WebhookEndpoint::Wants(const std::string& type) const {
  return std::binary_search(events.begin(), events.end(), type);
}

Result<std::unique_ptr<WebhookStore>> WebhookStore::Open(Storage* storage, crypto::KeyProvider* keys,
                                                         const Clock* clock, WebhookLimits limits) {
  std::unique_ptr<WebhookStore> s(new WebhookStore(storage, keys, clock, limits));
  TKV_RETURN_IF_ERROR(s->Load());
  return s;
}

Status WebhookStore::Load() {
  TKV_ASSIGN_OR_RETURN(auto all, ReadRecords("*"));
  MutexLock lock(mu_);
  records_ = std::move(all);
  return Status::Ok();
}

Status WebhookStore::LoadTenant(const std::string& tenant) {
  TKV_ASSIGN_OR_RETURN(auto mine, ReadRecords(tenant));
  MutexLock lock(mu_);
  for (auto& [id, r] : mine) records_[id] = std::move(r);
  return Status::Ok();
}

Status WebhookStore::StageAdopted(const WebhookEndpoint& e, const crypto::SecretBytes& secret,
                                  rocksdb::WriteBatch* batch) const {
  Record r;
  r.endpoint = e;
  r.master_version = keys_->CurrentVersion();
  TKV_ASSIGN_OR_RETURN(r.wrapped, keys_->Wrap(r.master_version, WrapContext(e.id, r.master_version), secret));
  return FromRocks(batch->Put(storage_->system(), RecordKey(e.id), RecordJson(r)), "stage webhook");
}

namespace {

json EndpointFields(const WebhookEndpoint& e) {
  return {{"id", e.id},
          {"tenant", e.tenant},
          {"url", e.url},
          {"events", e.events},
          {"description", e.description},
          {"threshold_pct", e.threshold_pct},
          {"exhaustion_hours", e.exhaustion_hours},
          {"throttle_per_min", e.throttle_per_min},
          {"created_by", e.created_by},
          {"created_at_ms", e.created_at_ms}};
}

// Throws (nlohmann's exceptions) when a field is missing or of another type.
WebhookEndpoint ReadEndpointFields(const json& j) {
  WebhookEndpoint e;
  e.id = j.at("id").get<std::string>();
  e.tenant = j.at("tenant").get<std::string>();
  e.url = j.at("url").get<std::string>();
  e.events = j.at("events").get<std::vector<std::string>>();
  std::sort(e.events.begin(), e.events.end());
  e.description = j.at("description").get<std::string>();
  e.threshold_pct = j.at("threshold_pct").get<int>();
  e.exhaustion_hours = j.at("exhaustion_hours").get<int>();
  e.throttle_per_min = j.at("throttle_per_min").get<int64_t>();
  e.created_by = j.at("created_by").get<std::string>();
  e.created_at_ms = j.at("created_at_ms").get<int64_t>();
  return e;
}

}  // namespace

std::string WebhookEndpointJson(const WebhookEndpoint& e) { return EndpointFields(e).dump(); }

Result<WebhookEndpoint> ParseWebhookEndpointJson(std::string_view text) {
  const json j = json::parse(text, nullptr, false);
  try {
    return ReadEndpointFields(j);
  } catch (const std::exception&) {
    return Status::InvalidArgument("a webhook endpoint record is malformed", "bad_webhook_record");
  }
}

Result<std::map<std::string, WebhookStore::Record>> WebhookStore::ReadRecords(const std::string& tenant) const {
  std::map<std::string, Record> all;
  std::unique_ptr<rocksdb::Iterator> it(storage_->db()->NewIterator(rocksdb::ReadOptions(), storage_->system()));
  for (it->Seek(kWebhookPrefix); it->Valid() && it->key().starts_with(kWebhookPrefix); it->Next()) {
    const json j = json::parse(it->value().ToStringView(), nullptr, false);
    try {
      Record r;
      r.endpoint = ReadEndpointFields(j);
      r.master_version = j.at("master_version").get<uint32_t>();
      auto wrapped = crypto::HexDecode(j.at("wrapped_secret").get<std::string>());
      if (!wrapped) throw std::runtime_error("bad hex");
      r.wrapped = std::move(*wrapped);
      if (tenant == "*" || r.endpoint.tenant == tenant) all[r.endpoint.id] = std::move(r);
    } catch (const std::exception&) {
      return Status::DataLoss("webhook record '" + it->key().ToString() + "' is malformed");
    }
  }
  TKV_RETURN_IF_ERROR(FromRocks(it->status(), "read webhooks"));
  return all;
}

std::string WebhookStore::RecordJson(const Record& r) {
  json j = EndpointFields(r.endpoint);
  j["master_version"] = r.master_version;
  j["wrapped_secret"] = crypto::HexEncode(r.wrapped);
  return j.dump();
}

Status WebhookStore::Write(const Record& r) {
  return FromRocks(storage_->db()->Put(storage_->meta_write_options(), storage_->system(), RecordKey(r.endpoint.id),
                                       RecordJson(r)),
                   "persist webhook");
}

Result<WebhookStore::Created> WebhookStore::Create(WebhookEndpoint e) {
  TKV_ASSIGN_OR_RETURN(std::string id_hex, crypto::RandomHex(8));
  TKV_ASSIGN_OR_RETURN(std::string secret_hex, crypto::RandomHex(kSecretHexBytes));
  e.id = "wh_" + id_hex;
  e.created_at_ms = clock_->NowUnixMillis();
  std::sort(e.events.begin(), e.events.end());
  e.events.erase(std::unique(e.events.begin(), e.events.end()), e.events.end());
  Created out{e, "whsec_" + secret_hex};
  MutexLock lock(mu_);
  size_t in_scope = 0;
  for (const auto& [id, r] : records_) in_scope += r.endpoint.tenant == e.tenant ? 1 : 0;
  const size_t limit = e.global() ? limits_.max_global : limits_.max_per_tenant;
  if (in_scope >= limit) {
    return Status::AlreadyExists(std::string(e.global() ? "the node may have" : "a tenant may have") +
                                     " at most " + std::to_string(limit) + " webhook endpoints",
                                 "webhook_limit");
  }
  if (records_.count(e.id)) return Status::AlreadyExists("webhook id collision", "webhook_exists");
  Record r;
  r.endpoint = e;
  r.master_version = keys_->CurrentVersion();
  TKV_ASSIGN_OR_RETURN(r.wrapped, Wrap(*keys_, e.id, r.master_version, out.secret));
  TKV_RETURN_IF_ERROR(Write(r));
  records_[e.id] = std::move(r);
  return out;
}

Result<WebhookEndpoint> WebhookStore::Get(const std::string& id) const {
  MutexLock lock(mu_);
  auto it = records_.find(id);
  if (it == records_.end()) return Status::NotFound("no webhook endpoint '" + id + "'", "webhook_not_found");
  return it->second.endpoint;
}

std::vector<WebhookEndpoint> WebhookStore::List(const std::string& tenant) const {
  std::vector<WebhookEndpoint> out;
  {
    MutexLock lock(mu_);
    for (const auto& [id, r] : records_) {
      if (r.endpoint.tenant == tenant) out.push_back(r.endpoint);
    }
  }
  std::sort(out.begin(), out.end(), Before);
  return out;
}

std::vector<WebhookEndpoint> WebhookStore::All() const {
  std::vector<WebhookEndpoint> out;
  {
    MutexLock lock(mu_);
    for (const auto& [id, r] : records_) out.push_back(r.endpoint);
  }
  std::sort(out.begin(), out.end(), Before);
  return out;
}

std::vector<WebhookEndpoint> WebhookStore::Subscribed(const std::string& type, const std::string& tenant) const {
  std::vector<WebhookEndpoint> out;
  MutexLock lock(mu_);
  for (const auto& [id, r] : records_) {
    if (r.endpoint.Receives(tenant) && r.endpoint.Wants(type)) out.push_back(r.endpoint);
  }
  return out;
}

Status WebhookStore::Delete(const std::string& id) {
  MutexLock lock(mu_);
  if (!records_.count(id)) return Status::NotFound("no webhook endpoint '" + id + "'", "webhook_not_found");
  TKV_RETURN_IF_ERROR(
      FromRocks(storage_->db()->Delete(storage_->meta_write_options(), storage_->system(), RecordKey(id)),
                "delete webhook"));
  records_.erase(id);
  return Status::Ok();
}

Result<std::vector<std::string>> WebhookStore::RemoveTenant(const std::string& tenant) {
  std::vector<std::string> ids;
  rocksdb::WriteBatch batch;
  MutexLock lock(mu_);
  for (const auto& [id, r] : records_) {
    if (tenant.empty() || r.endpoint.tenant != tenant) continue;
    TKV_RETURN_IF_ERROR(FromRocks(batch.Delete(storage_->system(), RecordKey(id)), "stage"));
    ids.push_back(id);
  }
  if (ids.empty()) return ids;
  TKV_RETURN_IF_ERROR(FromRocks(storage_->db()->Write(storage_->meta_write_options(), &batch), "remove webhooks"));
  for (const auto& id : ids) records_.erase(id);
  return ids;
}

Result<crypto::SecretBytes> WebhookStore::Secret(const std::string& id) const {
  uint32_t version = 0;
  std::string wrapped;
  {
    MutexLock lock(mu_);
    auto it = records_.find(id);
    if (it == records_.end()) return Status::NotFound("no webhook endpoint '" + id + "'", "webhook_not_found");
    version = it->second.master_version;
    wrapped = it->second.wrapped;
  }
  return keys_->Unwrap(version, WrapContext(id, version), wrapped);
}

Result<size_t> WebhookStore::RewrapAll(uint32_t to) {
  size_t done = 0;
  MutexLock lock(mu_);
  for (auto& [id, r] : records_) {
    if (r.master_version == to) continue;
    TKV_ASSIGN_OR_RETURN(crypto::SecretBytes plain, keys_->Unwrap(r.master_version, WrapContext(id, r.master_version),
                                                                  r.wrapped));
    Record next = r;
    next.master_version = to;
    TKV_ASSIGN_OR_RETURN(next.wrapped, keys_->Wrap(to, WrapContext(id, to), plain));
    TKV_RETURN_IF_ERROR(Write(next));
    r = std::move(next);
    ++done;
  }
  return done;
}

}  // namespace tenantkv::engine
