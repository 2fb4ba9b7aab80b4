#include "server/app/webhook_options.h"

#include <CLI/CLI.hpp>

namespace tenantkv::server {
namespace {

template <typename T>
Status InRange(const char* flag, T value, T lo, T hi) {
  if (value < lo || value > hi) {
    return Status::InvalidArgument(std::string(flag) + " must be " + std::to_string(lo) + ".." + std::to_string(hi));
  }
  return Status::Ok();
}

}  // namespace

Status WebhookOptions::Validate() const {
  TKV_RETURN_IF_ERROR(InRange("--webhook-timeout-sec", webhook_timeout_sec, 1, 60));
  TKV_RETURN_IF_ERROR(InRange("--webhook-max-attempts", webhook_max_attempts, 1, 1000));
  TKV_RETURN_IF_ERROR(InRange("--webhook-max-age-sec", webhook_max_age_sec, 60, 604800));
  TKV_RETURN_IF_ERROR(InRange("--webhook-retry-base-ms", webhook_retry_base_ms, 10, 600000));
  TKV_RETURN_IF_ERROR(InRange("--webhook-retry-max-sec", webhook_retry_max_sec, 1, 86400));
  TKV_RETURN_IF_ERROR(InRange("--webhook-alert-check-sec", webhook_alert_check_sec, 1, 3600));
  TKV_RETURN_IF_ERROR(InRange<size_t>("--webhook-max-per-tenant", webhook_max_per_tenant, 1, 100));
  TKV_RETURN_IF_ERROR(InRange<size_t>("--webhook-max-global", webhook_max_global, 1, 1000));
  TKV_RETURN_IF_ERROR(InRange<size_t>("--webhook-max-pending", webhook_max_pending, 1, 100000));
  return Status::Ok();
}

void WebhookOptions::AddFlags(CLI::App& app) {
  app.add_flag("--webhook-allow-http,!--no-webhook-allow-http", webhook_allow_http,
               "webhook endpoints may use plain http:// (tests; off: https only)");
  app.add_flag("--webhook-allow-private-addresses,!--no-webhook-allow-private-addresses",
               webhook_allow_private_addresses,
               "webhook endpoints may resolve to loopback, link-local, private or other non-public addresses "
               "(tests; off: refused, the SSRF guard)");
  app.add_option("--webhook-ca-file", webhook_ca_file,
                 "PEM CA bundle https webhook receivers are verified against instead of the system store");
  app.add_option("--webhook-timeout-sec", webhook_timeout_sec,
                 "a webhook attempt's read and write timeout (connect: half of it, at least 1 s)")
      ->capture_default_str();
  app.add_option("--webhook-max-attempts", webhook_max_attempts,
                 "attempts at one webhook delivery before it is marked failed")
      ->capture_default_str();
  app.add_option("--webhook-max-age-sec", webhook_max_age_sec,
                 "a webhook delivery still failing this long after its event is marked failed")
      ->capture_default_str();
  app.add_option("--webhook-retry-base-ms", webhook_retry_base_ms,
                 "the wait after a first failed webhook attempt; doubles with each (jittered)")
      ->capture_default_str();
  app.add_option("--webhook-retry-max-sec", webhook_retry_max_sec, "the longest wait between webhook attempts")
      ->capture_default_str();
  app.add_option("--webhook-alert-check-sec", webhook_alert_check_sec,
                 "seconds between evaluations of the quota alerts (threshold, exhaustion, throttling)")
      ->capture_default_str();
  app.add_option("--webhook-max-per-tenant", webhook_max_per_tenant, "webhook endpoints one tenant may have")
      ->capture_default_str();
  app.add_option("--webhook-max-global", webhook_max_global, "the operator's global webhook endpoints")
      ->capture_default_str();
  app.add_option("--webhook-max-pending", webhook_max_pending,
                 "pending deliveries per webhook endpoint; past it new events for it are dropped (counted)")
      ->capture_default_str();
}

}  // namespace tenantkv::server
