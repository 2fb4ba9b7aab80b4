#include "server/api/webhook_parsing.h"

#include <algorithm>

#include "engine/webhooks/webhook_event.h"

namespace tenantkv::server {
namespace {

using nlohmann::json;

// An integer setting in [lo, hi], given only with its event.
Status ParseSetting(const json& body, const char* name, const char* event, int64_t lo, int64_t hi,
                    const std::vector<std::string>& events, int64_t* out) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return Status::Ok();
  if (std::find(events.begin(), events.end(), event) == events.end()) {
    return Status::InvalidArgument(std::string("'") + name + "' is a setting of " + event +
                                       ", which 'events' does not name",
                                   "invalid_webhook_setting");
  }
  if (!it->is_number_integer() || it->get<int64_t>() < lo || it->get<int64_t>() > hi) {
    return Status::InvalidArgument(std::string("'") + name + "' must be an integer " + std::to_string(lo) + ".." +
                                       std::to_string(hi),
                                   "invalid_webhook_setting");
  }
  *out = it->get<int64_t>();
  return Status::Ok();
}

}  // namespace

Result<engine::WebhookEndpoint> ParseWebhookCreateBody(const json& body, const WebhookUrlPolicy& policy) {
  static const char* kFields[] = {"url", "events", "description", "threshold_pct", "exhaustion_hours",
                                  "throttle_per_min"};
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (std::find(std::begin(kFields), std::end(kFields), it.key()) == std::end(kFields)) {
      return Status::InvalidArgument("unknown field '" + it.key() + "'", "unknown_field");
    }
  }
  engine::WebhookEndpoint e;
  auto url = body.find("url");
  if (url == body.end() || !url->is_string()) {
    return Status::InvalidArgument("'url' must be a string, such as https://hooks.example.com/tenantkv",
                                   "invalid_webhook_url");
  }
  TKV_RETURN_IF_ERROR(ParseWebhookUrl(url->get_ref<const std::string&>(), policy).status());
  e.url = url->get<std::string>();
  auto events = body.find("events");
  const auto& known = engine::WebhookEventTypes();
  std::string names;
  for (const auto& k : known) names += (names.empty() ? "" : ", ") + k;
  const Status bad_events =
      Status::InvalidArgument("'events' must be a non-empty array of event types: " + names, "invalid_webhook_events");
  if (events == body.end() || !events->is_array() || events->empty() || events->size() > known.size()) {
    return bad_events;
  }
  for (const auto& ev : *events) {
    if (!ev.is_string() || !engine::IsWebhookEventType(ev.get_ref<const std::string&>())) return bad_events;
    e.events.push_back(ev.get<std::string>());
  }
  std::sort(e.events.begin(), e.events.end());
  e.events.erase(std::unique(e.events.begin(), e.events.end()), e.events.end());
  if (auto d = body.find("description"); d != body.end() && !d->is_null()) {
    const Status bad = Status::InvalidArgument(
        "'description' must be a string of at most " + std::to_string(engine::kMaxWebhookDescriptionBytes) +
            " bytes without control characters",
        "invalid_description");
    if (!d->is_string()) return bad;
    const std::string& text = d->get_ref<const std::string&>();
    if (text.size() > engine::kMaxWebhookDescriptionBytes) return bad;
    for (unsigned char c : text) {
      if (c < 0x20 || c == 0x7f) return bad;
    }
    e.description = text;
  }
  int64_t v = e.threshold_pct;
  TKV_RETURN_IF_ERROR(ParseSetting(body, "threshold_pct", engine::kEventQuotaThreshold, engine::kMinThresholdPct,
                                   engine::kMaxThresholdPct, e.events, &v));
  e.threshold_pct = static_cast<int>(v);
  v = e.exhaustion_hours;
  TKV_RETURN_IF_ERROR(ParseSetting(body, "exhaustion_hours", engine::kEventQuotaExhaustion,
                                   engine::kMinExhaustionHours, engine::kMaxExhaustionHours, e.events, &v));
  e.exhaustion_hours = static_cast<int>(v);
  TKV_RETURN_IF_ERROR(ParseSetting(body, "throttle_per_min", engine::kEventQuotaThrottled,
                                   engine::kMinThrottlePerMin, engine::kMaxThrottlePerMin, e.events,
                                   &e.throttle_per_min));
  return e;
}

}  // namespace tenantkv::server
