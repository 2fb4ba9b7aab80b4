#include "server/webhooks/quota_alerts.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "server/observe/metrics.h"

namespace tenantkv::server {
namespace {

using nlohmann::json;

constexpr int kThresholdHysteresisPct = 5;
constexpr int64_t kHourMs = 3'600'000;

bool WantsQuotaEvents(const engine::WebhookEndpoint& e) {
  return e.Wants(engine::kEventQuotaThreshold) || e.Wants(engine::kEventQuotaExhaustion) ||
         e.Wants(engine::kEventQuotaThrottled);
}

// Never attaches a series: a tenant never served has none, and refused
// nothing (a global endpoint looks at every tenant of the node).
uint64_t ThrottledTotal(const engine::Tenant& t) {
  const RequestSeries* series = t.AttachedIfAny<RequestSeries>();
  if (series == nullptr) return 0;
  uint64_t total = 0;
  for (size_t r = 0; r < kThrottleReasons; ++r) total += series->throttled(static_cast<ThrottleReason>(r));
  return total;
}

}  // namespace

bool QuotaAlerts::Emit(const engine::WebhookEndpoint& e, const std::string& type, const std::string& tenant,
                       const std::string& data_json) {
  auto id = engine_->EmitWebhookEvent(type, tenant, data_json, {e.id});
  if (!id.ok()) {
    spdlog::error("webhooks: queueing {} for {} failed: {}", type, tenant, id.status().ToString());
    return false;
  }
  return true;
}

size_t QuotaAlerts::EvaluateOne(const engine::WebhookEndpoint& e, engine::Tenant& t, int64_t now_ms, Armed& armed) {
  auto manifest = engine_->quotas().Current(t.id());
  if (!manifest.ok()) return 0;
  const int64_t limit = manifest->quota.storage_bytes;
  const int64_t used = t.store().GetUsage().logical_bytes;
  size_t queued = 0;
  if (e.Wants(engine::kEventQuotaThreshold) && limit > 0) {
    const int64_t pct = static_cast<int64_t>(static_cast<long double>(used) * 100 / limit);
    if (!armed.threshold && pct >= e.threshold_pct) {
      const json data = {{"quota", "storage_bytes"}, {"used", used}, {"limit", limit},
                         {"used_pct", pct}, {"threshold_pct", e.threshold_pct}};
      if (Emit(e, engine::kEventQuotaThreshold, t.id(), data.dump())) ++queued, armed.threshold = true;
    } else if (armed.threshold && pct < std::max(0, e.threshold_pct - kThresholdHysteresisPct)) {
      armed.threshold = false;
    }
  }
  if (e.Wants(engine::kEventQuotaExhaustion) && limit > 0) {
    const auto history = t.usage_history();
    const std::optional<int64_t> at = history ? history->ProjectedExhaustionMs(now_ms, used, limit) : std::nullopt;
    const int64_t window = int64_t{e.exhaustion_hours} * kHourMs;
    if (!armed.exhaustion && at && *at - now_ms <= window) {
      const json data = {{"quota", "storage_bytes"}, {"used", used}, {"limit", limit},
                         {"projected_exhaustion", engine::WebhookTimeText(*at)},
                         {"burn_rate_per_hour", history->BurnPerHour(now_ms, used)},
                         {"exhaustion_hours", e.exhaustion_hours}};
      if (Emit(e, engine::kEventQuotaExhaustion, t.id(), data.dump())) ++queued, armed.exhaustion = true;
    } else if (armed.exhaustion && (!at || *at - now_ms > 2 * window)) {
      armed.exhaustion = false;
    }
  }
  if (e.Wants(engine::kEventQuotaThrottled)) {
    const uint64_t total = ThrottledTotal(t);
    if (armed.seen && now_ms > armed.last_ms && total >= armed.last_throttled) {
      const double per_min =
          static_cast<double>(total - armed.last_throttled) * 60'000.0 / static_cast<double>(now_ms - armed.last_ms);
      if (!armed.throttled && per_min > static_cast<double>(e.throttle_per_min)) {
        const json data = {{"refused_per_min", per_min}, {"throttle_per_min", e.throttle_per_min},
                           {"refused_total", total}};
        if (Emit(e, engine::kEventQuotaThrottled, t.id(), data.dump())) ++queued, armed.throttled = true;
      } else if (armed.throttled && per_min <= static_cast<double>(e.throttle_per_min) / 2) {
        armed.throttled = false;
      }
    }
    armed.seen = true;
    armed.last_throttled = total;
    armed.last_ms = now_ms;
  }
  return queued;
}

size_t QuotaAlerts::Evaluate() {
  const int64_t now_ms = engine_->clock().NowUnixMillis();
  std::map<std::pair<std::string, std::string>, Armed> next;
  size_t queued = 0;
  const auto tenants = engine_->tenants().List();
  for (const engine::WebhookEndpoint& e : engine_->webhooks().All()) {
    if (!WantsQuotaEvents(e)) continue;
    for (const auto& t : tenants) {
      if (!e.Receives(t->id())) continue;
      const auto key = std::make_pair(e.id, t->id());
      Armed armed = state_.count(key) ? state_[key] : Armed{};
      queued += EvaluateOne(e, *t, now_ms, armed);
      next[key] = armed;
    }
  }
  state_ = std::move(next);  // endpoints and tenants that went are forgotten
  return queued;
}

}  // namespace tenantkv::server
