// The usage history routes: a tenant's calls, bytes, stored bytes and
// throttles over the last hour (minutes) or day (ten minutes), for charts
// without Prometheus (engine/quota/usage_history.h).
#include "server/api/api.h"
#include "engine/tenants/tenant_id.h"
#include "server/api/json_io.h"
#include "server/api/request_parsing.h"
#include "server/http/http_status.h"
#include "server/observe/request_series.h"

namespace tenantkv::server {
namespace {

static_assert(kThrottleReasons <= engine::UsageHistory::kMaxThrottleReasons,
              "every throttle reason needs a counter in the usage history");

Status WriteHistory(engine::Engine* engine, engine::Tenant& t, Call& c) {
  TKV_ASSIGN_OR_RETURN(engine::UsageWindow window, ParseHistoryQuery(c.query));
  const int64_t now_ms = engine->clock().NowUnixMillis();
  const int64_t stored = t.store().GetUsage().logical_bytes;
  // A deleting tenant has no history: its answer is all zeros.
  const std::shared_ptr<engine::UsageHistory> h = engine->usage_histories().Of(t, now_ms);
  engine::UsageSeries s =
      h ? h->Series(window, now_ms, stored) : engine::UsageHistory().Series(window, now_ms, stored);
  // Stored bytes are carried back before the first step the history knows;
  // a step that ended before the tenant was made stored nothing.
  const int64_t created_ms = t.Info().created_at_ms;
  for (size_t i = 0; i < s.storage_bytes.size(); ++i) {
    if (s.start_ms + static_cast<int64_t>(i + 1) * s.step_ms <= created_ms) s.storage_bytes[i] = 0;
  }
  json throttled = json::object();
  for (const auto& [reason, counts] : s.throttled) {
    if (reason < 0 || static_cast<size_t>(reason) >= kThrottleReasons) continue;
    throttled[ThrottleReasonName(static_cast<ThrottleReason>(reason))] = counts;
  }
  WriteJson(c.res, 200,
            {{"window", window == engine::UsageWindow::kHour ? "1h" : "24h"},
             {"step_seconds", s.step_ms / 1000},
             {"start", Rfc3339(s.start_ms)},
             {"end", Rfc3339(s.end_ms())},
             {"series",
              {{"requests", s.requests},
               {"read_bytes", s.read_bytes},
               {"write_bytes", s.write_bytes},
               {"storage_bytes", s.storage_bytes},
               {"throttled", std::move(throttled)}}}});
  return Status::Ok();
}

}  // namespace

void AddUsageHistoryRoutes(ApiRouter& router, engine::Engine* engine) {
  // Both answer no-store, errors of the handler included (as /v1/usage).
  // The tenant of the key:
  router.Add("GET", "/v1/usage/history", {"usage.history", Access::kTenant, false, [engine](Call& c) {
                                            AddOwnHeader(c.res, "Cache-Control", "no-store");
                                            return WriteHistory(engine, *c.tenant, c);
                                          }});
  // the operator, or an admin key of this tenant (as its key list):
  router.Add("GET", "/admin/v1/tenants/{id}/usage/history",
             {"tenants.usage_history", Access::kSelf, false, [engine](Call& c) -> Status {
                AddOwnHeader(c.res, "Cache-Control", "no-store");
                const std::string& id = c.params["id"];
                TKV_RETURN_IF_ERROR(engine::ValidateTenantId(id));
                TKV_ASSIGN_OR_RETURN(std::shared_ptr<engine::Tenant> t, engine->tenants().Get(id));
                return WriteHistory(engine, *t, c);
              }});
}

}  // namespace tenantkv::server
