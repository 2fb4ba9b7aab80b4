// Webhook events: their stable names and the JSON body every delivery
// carries (docs/api.md, Webhooks):
//   {"id": "evt_<16 hex>", "type": "quota.threshold", "created_at": RFC 3339,
//    "tenant": "<id>" or null, "data": {...}}
// The id is the receiver's dedup key: the same for every attempt and every
// endpoint an event goes to.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/status.h"

namespace tenantkv::engine {

inline constexpr char kEventQuotaThreshold[] = "quota.threshold";
inline constexpr char kEventQuotaExhaustion[] = "quota.exhaustion";
inline constexpr char kEventQuotaThrottled[] = "quota.throttled";
inline constexpr char kEventKeyRotated[] = "key.rotated";
inline constexpr char kEventRequestApproved[] = "quota_request.approved";
inline constexpr char kEventRequestRejected[] = "quota_request.rejected";
inline constexpr char kEventGraceStart[] = "storage.grace.start";
inline constexpr char kEventGraceEnd[] = "storage.grace.end";

// Every event type, in the order docs/api.md lists them.
const std::vector<std::string>& WebhookEventTypes();
bool IsWebhookEventType(std::string_view type);

// "evt_" + 16 random hex digits.
Result<std::string> NewEventId();

// The delivery body. `data_json` must be a JSON object; `tenant` "" is null.
std::string WebhookEventBody(const std::string& id, const std::string& type, int64_t created_ms,
                             const std::string& tenant, const std::string& data_json);

// The Tenantkv-Webhook-Signature header of a delivery: "v1=" and the hex
// HMAC-SHA256, under the endpoint's secret, of "<timestamp>.<body>"
// (timestamp: the Tenantkv-Webhook-Timestamp header, Unix seconds).
Result<std::string> WebhookSignature(std::string_view secret, int64_t timestamp, std::string_view body);

// RFC 3339 UTC with milliseconds, e.g. 2026-12-06T17:00:00.123Z.
std::string WebhookTimeText(int64_t ms);

}  // namespace tenantkv::engine
