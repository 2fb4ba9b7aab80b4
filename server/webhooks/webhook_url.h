// Webhook URLs: parsed strictly, then resolved and checked against the
// address policy, once when an endpoint is created and again before every
// attempt. The attempt connects to the address that was checked (no second
// DNS lookup, so a name cannot be rebound to an internal address in
// between), while the Host header, TLS SNI and certificate check use the
// name.
#pragma once

#include <string>
#include <string_view>

#include "crypto/status.h"

namespace tenantkv::server {

struct WebhookUrl {
  std::string scheme;  // "https" or "http"
  std::string host;    // lowercase name, IPv4 literal, or IPv6 literal without brackets
  int port = 0;
  std::string target;  // path and query, "/" at least
};

// What the server allows (--webhook-allow-http,
// --webhook-allow-private-addresses).
struct WebhookUrlPolicy {
  bool allow_http = false;
  bool allow_private_addresses = false;
};

// scheme://host[:port][/path][?query]: https (or http if allowed), no user
// info, no fragment, at most kMaxWebhookUrlBytes of printable ASCII.
// InvalidArgument("invalid_webhook_url") saying what is wrong.
Result<WebhookUrl> ParseWebhookUrl(std::string_view url, const WebhookUrlPolicy& policy);

// A parsed URL with the address to connect to.
struct ResolvedWebhookUrl {
  WebhookUrl url;
  std::string address;  // numeric, as getaddrinfo gave it
};

// Resolves the host and refuses if any address it has is forbidden
// (address_policy.h) unless the policy allows private addresses:
// InvalidArgument("invalid_webhook_url") naming the address and why;
// Unavailable("webhook_dns") if the name does not resolve.
Result<ResolvedWebhookUrl> ResolveWebhookUrl(const WebhookUrl& url, const WebhookUrlPolicy& policy);

}  // namespace tenantkv::server
