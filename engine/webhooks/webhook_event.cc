#include "engine/webhooks/webhook_event.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "crypto/hash.h"
#include "crypto/hmac.h"
#include "crypto/random.h"

namespace tenantkv::engine {

const std::vector<std::string>& WebhookEventTypes() {
  static const std::vector<std::string> kTypes = {
      kEventQuotaThreshold, kEventQuotaExhaustion, kEventQuotaThrottled, kEventKeyRotated,
      kEventRequestApproved, kEventRequestRejected, kEventGraceStart,     kEventGraceEnd};
  return kTypes;
}

bool IsWebhookEventType(std::string_view type) {
  const auto& all = WebhookEventTypes();
  return std::find(all.begin(), all.end(), type) != all.end();
}

Result<std::string> NewEventId() {
  TKV_ASSIGN_OR_RETURN(std::string hex, crypto::RandomHex(8));
  return "evt_" + hex;
}

Result<std::string> WebhookSignature(std::string_view secret, int64_t timestamp, std::string_view body) {
  std::string signed_text = std::to_string(timestamp);
  signed_text += '.';
  signed_text += body;
  TKV_ASSIGN_OR_RETURN(crypto::Sha256Digest mac, crypto::HmacSha256(secret, signed_text));
  return "v1=" + crypto::HexEncode(std::string_view(reinterpret_cast<const char*>(mac.data()), mac.size()));
}

std::string WebhookTimeText(int64_t ms) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  const size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  char out[64];
  std::snprintf(out, sizeof(out), "%.*s.%03dZ", static_cast<int>(n), buf, static_cast<int>(ms % 1000));
  return out;
}

std::string WebhookEventBody(const std::string& id, const std::string& type, int64_t created_ms,
                             const std::string& tenant, const std::string& data_json) {
  nlohmann::ordered_json data = nlohmann::ordered_json::parse(data_json.empty() ? "{}" : data_json, nullptr, false);
  if (!data.is_object()) data = nlohmann::ordered_json::object();
  nlohmann::ordered_json body;
  body["id"] = id;
  body["type"] = type;
  body["created_at"] = WebhookTimeText(created_ms);
  body["tenant"] = tenant.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(tenant);
  body["data"] = data;
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace tenantkv::engine
