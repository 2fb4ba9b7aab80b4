// The body of POST /v1/webhooks and /admin/v1/webhooks (docs/api.md,
// Webhooks): pure, so the fuzzers and unit tests can reuse it. The URL is
// parsed here (scheme, host, port) but resolved by the route.
#pragma once

#include <nlohmann/json.hpp>

#include "crypto/status.h"
#include "engine/webhooks/webhook_store.h"
#include "server/webhooks/webhook_url.h"

namespace tenantkv::server {

// {"url", "events": [...], "description"?, "threshold_pct"?,
// "exhaustion_hours"?, "throttle_per_min"?}. InvalidArgument with
// unknown_field, invalid_webhook_url, invalid_webhook_events (missing,
// empty, not strings, an unknown type, more than there are types),
// invalid_webhook_setting (a setting out of bounds, not an integer, or for
// an event not subscribed), invalid_description.
Result<engine::WebhookEndpoint> ParseWebhookCreateBody(const nlohmann::json& body, const WebhookUrlPolicy& policy);

}  // namespace tenantkv::server
