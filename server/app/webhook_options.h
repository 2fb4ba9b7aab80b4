// WebhookOptions: the server's settings for webhook alerts (docs/api.md,
// Webhooks; docs/security.md, the SSRF guard). None change at run time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "crypto/status.h"

namespace CLI {
class App;
}  // namespace CLI

namespace tenantkv::server {

struct WebhookOptions {
  // Endpoint URLs may be plain http:// (tests, a receiver on a trusted
  // network); off: https only.
  bool webhook_allow_http = false;
  // Endpoints may resolve to loopback, link-local, private and other
  // non-public addresses (tests, internal receivers); off: refused.
  bool webhook_allow_private_addresses = false;
  // A CA bundle (PEM) https receivers are verified against instead of the
  // system store; "" = the system store.
  std::string webhook_ca_file;
  int webhook_timeout_sec = 10;           // each attempt's read and write timeout (1..60); connect: half, >= 1
  int webhook_max_attempts = 20;          // attempts before a delivery is "failed" (1..1000)
  int webhook_max_age_sec = 86400;        // ...or once this old (60..604800)
  int webhook_retry_base_ms = 1000;       // the wait after a first failed attempt, doubling (10..600000)
  int webhook_retry_max_sec = 600;        // the longest wait between attempts (1..86400)
  int webhook_alert_check_sec = 10;       // how often quota alerts are evaluated (1..3600)
  size_t webhook_max_per_tenant = 8;      // endpoints one tenant may have (1..100)
  size_t webhook_max_global = 32;         // the operator's global endpoints (1..1000)
  size_t webhook_max_pending = 1000;      // pending deliveries per endpoint; past it new events are dropped (1..100000)

  // InvalidArgument naming the first bad setting.
  Status Validate() const;
  void AddFlags(CLI::App& app);
};

}  // namespace tenantkv::server
