#include "engine/backup/transfer_records.h"

#include <nlohmann/json.hpp>

#include "crypto/hash.h"
#include "crypto/key_wrap.h"
#include "engine/storage/format_version.h"
#include "engine/storage/rocks_status.h"
#include "engine/storage/system_keys.h"
#include "engine/tenants/tenant_id.h"

namespace tenantkv::engine {
namespace {

using nlohmann::json;

std::string Context(const std::string& id, const std::string& incarnation, const std::string& item) {
  return std::string(kTransferFormat) + "|tenant=" + id + "|incarnation=" + incarnation + "|" + item;
}
std::string DataKeyItem(uint32_t version) { return "dkey=" + std::to_string(version); }
std::string ExportItem(const std::string& key_id) { return "export=" + key_id; }
std::string WebhookItem(const std::string& id) { return "webhook=" + id; }

Status Bad(const std::string& why) {
  return Status::InvalidArgument("the transfer records are not usable: " + why, "bad_transfer");
}

// Appends every record under `prefix` (or just `key` when exact) to `out`.
Status Collect(Storage& db, const std::string& prefix, bool exact, json* out,
               const std::function<bool(std::string_view)>& keep = nullptr) {
  std::unique_ptr<rocksdb::Iterator> it(db.db()->NewIterator(rocksdb::ReadOptions(), db.system()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (exact && it->key().size() != prefix.size()) continue;
    if (keep && !keep(it->value().ToStringView())) continue;
    out->push_back({{"key", it->key().ToString()}, {"value", crypto::HexEncode(it->value().ToStringView())}});
  }
  return FromRocks(it->status(), "read records of " + prefix);
}

bool IsHex(std::string_view s, size_t n) {
  return s.size() == n && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// Whether system record `key` (value `value`) is one tenant `id` of
// `incarnation` may bring.
bool RecordIsTenants(const std::string& id, const std::string& incarnation, std::string_view key,
                     std::string_view value) {
  auto rest = [&](std::string_view prefix) -> std::optional<std::string_view> {
    if (key.substr(0, prefix.size()) != prefix) return std::nullopt;
    return key.substr(prefix.size());
  };
  if (auto r = rest(kApiKeyPrefix)) {
    if (!IsHex(*r, 16)) return false;
    const json j = json::parse(value, nullptr, false);
    return j.is_object() && j.value("tenant", "") == id && j.value("tenant_incarnation", "") == incarnation &&
           j.value("key_id", "") == *r;
  }
  if (auto r = rest(std::string(kQuotaPrefix) + id + "/")) return IsHex(*r, 16);
  if (auto r = rest(std::string(kAddonPrefix) + id + "/")) return !r->empty() && r->find('/') == std::string_view::npos;
  if (key == std::string(kUsageHistoryPrefix) + id || key == std::string(kGracePrefix) + id) return true;
  return false;
}

}  // namespace

Result<std::string> BuildTransferRecords(const TransferStores& stores, Tenant& tenant, bool frozen,
                                         const crypto::SecretBytes& transfer_key, size_t max_bytes) {
  const TenantInfo info = tenant.Info();
  const std::string& id = info.id;
  json keys = json::array(), data_keys = json::array();
  for (const auto& k : info.data_keys) {
    data_keys.push_back({{"version", k.version}, {"state", k.state}, {"created_at_ms", k.created_at_ms}});
    if (k.state == "destroyed") continue;
    KeyPtr key = tenant.keyring().Get(k.version);
    if (key == nullptr) return Status::Unavailable("a data key of tenant '" + id + "' is not available; retry");
    TKV_ASSIGN_OR_RETURN(std::string wrapped,
                         crypto::WrapKey(transfer_key, Context(id, info.incarnation, DataKeyItem(k.version)), *key));
    keys.push_back({{"version", k.version}, {"wrapped", crypto::HexEncode(wrapped)}});
  }
  json export_key = nullptr;
  auto ek = stores.registry->GetExportKey(id, /*create=*/false);
  if (ek.ok()) {
    TKV_ASSIGN_OR_RETURN(std::string wrapped, crypto::WrapKey(transfer_key, Context(id, info.incarnation,
                                                                                    ExportItem(ek->key_id)),
                                                              ek->key));
    export_key = {{"key_id", ek->key_id}, {"wrapped", crypto::HexEncode(wrapped)}};
  } else if (ek.status().reason() != "export_key_not_found") {
    return ek.status();
  }
  json records = json::array();
  Storage& db = *stores.storage;
  TKV_RETURN_IF_ERROR(Collect(db, kApiKeyPrefix, false, &records, [&](std::string_view v) {
    const json j = json::parse(v, nullptr, false);
    return j.is_object() && j.value("tenant", "") == id && j.value("tenant_incarnation", "") == info.incarnation;
  }));
  TKV_RETURN_IF_ERROR(Collect(db, std::string(kQuotaPrefix) + id + "/", false, &records));
  TKV_RETURN_IF_ERROR(Collect(db, std::string(kAddonPrefix) + id + "/", false, &records));
  TKV_RETURN_IF_ERROR(Collect(db, std::string(kUsageHistoryPrefix) + id, true, &records));
  TKV_RETURN_IF_ERROR(Collect(db, std::string(kGracePrefix) + id, true, &records));
  // Quota change requests: their ids are the source node's sequence, so
  // they travel apart from the records (written as they are) and get new
  // ids on arrival (QuotaRequestStore::Adopt).
  json quota_requests = json::array();
  {
    std::unique_ptr<rocksdb::Iterator> it(db.db()->NewIterator(rocksdb::ReadOptions(), db.system()));
    for (it->Seek(kQuotaRequestPrefix); it->Valid() && it->key().starts_with(kQuotaRequestPrefix); it->Next()) {
      const json j = json::parse(it->value().ToStringView(), nullptr, false);
      if (j.is_object() && j.value("tenant", "") == id) quota_requests.push_back(it->value().ToString());
    }
    TKV_RETURN_IF_ERROR(FromRocks(it->status(), "read quota requests"));
  }
  json webhooks = json::array();
  for (const auto& e : stores.webhooks->List(id)) {
    TKV_ASSIGN_OR_RETURN(crypto::SecretBytes secret, stores.webhooks->Secret(e.id));
    TKV_ASSIGN_OR_RETURN(std::string wrapped,
                         crypto::WrapKey(transfer_key, Context(id, info.incarnation, WebhookItem(e.id)), secret));
    webhooks.push_back({{"endpoint", json::parse(WebhookEndpointJson(e))}, {"secret", crypto::HexEncode(wrapped)}});
  }
  const json doc = {{"format", kTransferFormat},
                    {"format_version", kCurrentFormatVersion},
                    {"frozen", frozen},
                    {"tenant",
                     {{"id", id},
                      {"plan", info.plan},
                      {"state", TenantStateName(info.state)},
                      {"created_at_ms", info.created_at_ms},
                      {"incarnation", info.incarnation},
                      {"data_keys", data_keys}}},
                    {"keys", keys},
                    {"export_key", export_key},
                    {"records", records},
                    {"webhooks", webhooks},
                    {"quota_requests", quota_requests}};
  std::string out = doc.dump();
  if (out.size() > max_bytes) {
    return Status::FailedPrecondition("the tenant's records exceed " + std::to_string(max_bytes) + " bytes",
                                      "records_too_large");
  }
  return out;
}

Result<TransferRecords> ParseTransferRecords(std::string_view text, const crypto::SecretBytes& transfer_key) {
  if (transfer_key.size() != kTransferKeyBytes) {
    return Status::InvalidArgument("the transfer key must be 32 bytes", "bad_transfer_key");
  }
  const json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return Bad("not a JSON object");
  TransferRecords out;
  try {
    if (doc.at("format").get<std::string>() != kTransferFormat) return Bad("unknown format");
    if (doc.at("format_version").get<int>() != kCurrentFormatVersion) return Bad("another data format version");
    out.frozen = doc.at("frozen").get<bool>();
    const json& t = doc.at("tenant");
    TenantInfo& info = out.info;
    info.id = t.at("id").get<std::string>();
    if (!ValidateTenantId(info.id).ok()) return Bad("invalid tenant id");
    info.plan = t.at("plan").get<std::string>();
    const std::string state = t.at("state").get<std::string>();
    if (state != "active" && state != "suspended") return Bad("bad tenant state");
    info.state = state == "active" ? TenantState::kActive : TenantState::kSuspended;
    info.created_at_ms = t.at("created_at_ms").get<int64_t>();
    info.incarnation = t.at("incarnation").get<std::string>();
    if (!IsHex(info.incarnation, 32)) return Bad("bad incarnation");
    uint32_t last = 0;
    for (const auto& k : t.at("data_keys")) {
      DataKeyInfo d{k.at("version").get<uint32_t>(), k.at("state").get<std::string>(),
                    k.at("created_at_ms").get<int64_t>(), 0};
      if (d.version <= last || (d.state != "active" && d.state != "retiring" && d.state != "destroyed")) {
        return Bad("bad data key list");
      }
      last = d.version;
      info.data_keys.push_back(d);
    }
    if (info.data_keys.empty()) return Bad("no data key");
    const std::string& id = info.id;
    for (const auto& k : doc.at("keys")) {
      const uint32_t v = k.at("version").get<uint32_t>();
      auto wrapped = crypto::HexDecode(k.at("wrapped").get<std::string>());
      if (!wrapped) return Bad("bad key encoding");
      auto key = crypto::UnwrapKey(transfer_key, Context(id, info.incarnation, DataKeyItem(v)), *wrapped);
      if (!key.ok()) {
        return Status::InvalidArgument("a data key does not open under the transfer key", "transfer_undecryptable");
      }
      out.keys[v] = std::move(key).value();
    }
    for (const auto& k : info.data_keys) {
      if ((k.state == "destroyed") == (out.keys.count(k.version) != 0)) return Bad("keys and versions differ");
    }
    if (out.keys.size() != static_cast<size_t>(std::count_if(info.data_keys.begin(), info.data_keys.end(),
                                                            [](const DataKeyInfo& k) { return k.state != "destroyed"; }))) {
      return Bad("keys and versions differ");
    }
    if (const json& e = doc.at("export_key"); !e.is_null()) {
      ExportKey ek;
      ek.key_id = e.at("key_id").get<std::string>();
      if (!IsHex(ek.key_id, 16)) return Bad("bad export key id");
      auto wrapped = crypto::HexDecode(e.at("wrapped").get<std::string>());
      if (!wrapped) return Bad("bad key encoding");
      auto key = crypto::UnwrapKey(transfer_key, Context(id, info.incarnation, ExportItem(ek.key_id)), *wrapped);
      if (!key.ok()) {
        return Status::InvalidArgument("the export key does not open under the transfer key",
                                       "transfer_undecryptable");
      }
      ek.key = std::move(key).value();
      out.export_key = std::move(ek);
    }
    for (const auto& r : doc.at("records")) {
      std::string key = r.at("key").get<std::string>();
      auto value = crypto::HexDecode(r.at("value").get<std::string>());
      if (!value) return Bad("bad record encoding");
      if (!RecordIsTenants(id, info.incarnation, key, *value)) return Bad("record '" + key + "' is not the tenant's");
      out.records.emplace_back(std::move(key), std::move(*value));
    }
    for (const auto& w : doc.at("webhooks")) {
      Result<WebhookEndpoint> parsed = ParseWebhookEndpointJson(w.at("endpoint").dump());
      if (!parsed.ok()) return Bad("a webhook endpoint is malformed");
      WebhookEndpoint e = std::move(parsed).value();
      if (e.id.size() != 19 || e.id.rfind("wh_", 0) != 0 || !IsHex(e.id.substr(3), 16)) return Bad("bad webhook id");
      if (e.tenant != id) return Bad("webhook endpoint '" + e.id + "' is not the tenant's");
      auto wrapped = crypto::HexDecode(w.at("secret").get<std::string>());
      if (!wrapped) return Bad("bad secret encoding");
      auto secret = crypto::UnwrapKey(transfer_key, Context(id, info.incarnation, WebhookItem(e.id)), *wrapped);
      if (!secret.ok()) {
        return Status::InvalidArgument("a webhook secret does not open under the transfer key",
                                       "transfer_undecryptable");
      }
      out.webhooks.emplace_back(std::move(e), std::move(secret).value());
    }
    // Optional: a source of before quota requests moved sends none.
    if (auto qr = doc.find("quota_requests"); qr != doc.end()) {
      for (const auto& r : *qr) {
        const std::string text = r.get<std::string>();
        const json j = json::parse(text, nullptr, false);
        if (!j.is_object() || j.value("tenant", "") != id) return Bad("a quota request is not the tenant's");
        out.quota_requests.push_back(text);
      }
    }
  } catch (const json::exception& e) {
    return Bad(e.what());
  }
  return out;
}

}  // namespace tenantkv::engine
