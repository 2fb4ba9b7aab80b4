#include "server/webhooks/webhook_sender.h"

#include <httplib.h>

#include <memory>

#include "engine/webhooks/webhook_event.h"

namespace tenantkv::server {
namespace {

engine::AttemptOutcome Failed(std::string error, int status = 0) {
  engine::AttemptOutcome o;
  o.status = status;
  o.error = std::move(error);
  return o;
}

}  // namespace

engine::AttemptOutcome SendWebhook(const std::string& url, const crypto::SecretBytes& secret,
                                   const engine::WebhookDelivery& d, int64_t now_sec,
                                   const WebhookSenderOptions& options) {
  // Checked again at every attempt: the settings may have changed since the
  // endpoint was made, and so may what its name resolves to.
  auto parsed = ParseWebhookUrl(url, options.policy);
  if (!parsed.ok()) return Failed("refused: " + parsed.status().message());
  auto resolved = ResolveWebhookUrl(*parsed, options.policy);
  if (!resolved.ok()) {
    const bool dns = resolved.status().reason() == "webhook_dns";
    return Failed(std::string(dns ? "dns: " : "refused: ") + resolved.status().message());
  }
  const std::string_view key(reinterpret_cast<const char*>(secret.data()), secret.size());
  auto signature = engine::WebhookSignature(key, now_sec, d.body);
  if (!signature.ok()) return Failed("sign: " + signature.status().message());

  std::unique_ptr<httplib::ClientImpl> client;
  if (parsed->scheme == "https") {
    auto tls = std::make_unique<httplib::SSLClient>(parsed->host, parsed->port);
    tls->enable_server_certificate_verification(true);
    if (!options.ca_file.empty()) tls->set_ca_cert_path(options.ca_file);
    client = std::move(tls);
  } else {
    client = std::make_unique<httplib::ClientImpl>(parsed->host, parsed->port);
  }
  // Connect to the address checked above, not to a second lookup's.
  client->set_hostname_addr_map({{parsed->host, resolved->address}});
  client->set_connection_timeout(options.connect_timeout_sec, 0);
  client->set_read_timeout(options.timeout_sec, 0);
  client->set_write_timeout(options.timeout_sec, 0);
  client->set_keep_alive(false);
  client->set_follow_location(false);

  httplib::Request req;
  req.method = "POST";
  req.path = parsed->target;
  req.headers = {{"Content-Type", "application/json"},
                 {"User-Agent", "tenantkv-webhooks/1"},
                 {kWebhookIdHeader, d.event_id},
                 {kWebhookTimestampHeader, std::to_string(now_sec)},
                 {kWebhookSignatureHeader, *signature},
                 {kWebhookEventHeader, d.type},
                 {kWebhookAttemptHeader, std::to_string(d.attempts + 1)}};
  req.body = d.body;
  int status = 0;
  size_t received = 0;
  const size_t cap = options.max_response_bytes;
  req.response_handler = [&status](const httplib::Response& r) {
    status = r.status;
    return true;
  };
  req.content_receiver = [&received, cap](const char*, size_t n, uint64_t, uint64_t) {
    received += n;
    return received <= cap;  // past the cap the answer is cut off
  };
  httplib::Response res;
  httplib::Error error = httplib::Error::Success;
  const bool sent = client->send(req, res, error);
  if (status == 0 && sent) status = res.status;
  engine::AttemptOutcome o;
  o.status = status;
  if (status >= 200 && status < 300) {
    o.delivered = true;
    return o;
  }
  if (status != 0) {
    o.error = "http " + std::to_string(status);
    return o;
  }
  o.error = "connect: " + httplib::to_string(error);
  return o;
}

}  // namespace tenantkv::server
