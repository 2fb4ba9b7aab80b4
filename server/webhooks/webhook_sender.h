// WebhookSender: one attempt at one delivery — resolve and check the URL
// (webhook_url.h), sign the body, POST it to the checked address with
// bounded timeouts, and read at most max_response_bytes of the answer.
// Redirects are not followed (a 3xx is a failed attempt). Thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "crypto/secret_bytes.h"
#include "engine/webhooks/webhook_outbox.h"
#include "server/webhooks/webhook_url.h"

namespace tenantkv::server {

struct WebhookSenderOptions {
  WebhookUrlPolicy policy;
  std::string ca_file;             // trusted CAs for https receivers; "" = the system store
  int connect_timeout_sec = 5;
  int timeout_sec = 10;            // each read and write
  size_t max_response_bytes = 64 << 10;
};

// Headers of every delivery (docs/api.md, Webhooks).
inline constexpr char kWebhookIdHeader[] = "Tenantkv-Webhook-Id";
inline constexpr char kWebhookTimestampHeader[] = "Tenantkv-Webhook-Timestamp";
inline constexpr char kWebhookSignatureHeader[] = "Tenantkv-Webhook-Signature";
inline constexpr char kWebhookEventHeader[] = "Tenantkv-Webhook-Event";
inline constexpr char kWebhookAttemptHeader[] = "Tenantkv-Webhook-Attempt";

// `now_sec` is the timestamp signed. The outcome's error names what went
// wrong without the secret: "refused: ..." (the URL or its address is not
// allowed), "dns: ...", "connect: ...", "http 503", ...
engine::AttemptOutcome SendWebhook(const std::string& url, const crypto::SecretBytes& secret,
                                   const engine::WebhookDelivery& d, int64_t now_sec,
                                   const WebhookSenderOptions& options);

}  // namespace tenantkv::server
