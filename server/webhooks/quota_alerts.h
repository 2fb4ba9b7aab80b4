// QuotaAlerts: the quota conditions webhooks alert on, evaluated on a
// timer from the usage the server already keeps (the same numbers as
// GET /v1/usage):
//   quota.threshold   storage used >= the endpoint's threshold_pct of
//                     storage_bytes; re-armed below threshold_pct - 5
//   quota.exhaustion  storage projected to run out (the usage history's
//                     burn rate) within exhaustion_hours; re-armed when
//                     the projection goes past twice that, or away
//   quota.throttled   the tenant's refusals (all reasons) above
//                     throttle_per_min per minute since the last
//                     evaluation; re-armed at or below half that
// Each endpoint has its own state per tenant, so one crossing is one event
// per endpoint until the value has fallen back (hysteresis). The state is
// in memory: after a restart a condition still true fires once more.
// Not thread-safe: one job thread calls Evaluate().
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "engine/engine.h"

namespace tenantkv::server {

class QuotaAlerts {
 public:
  explicit QuotaAlerts(engine::Engine* engine) : engine_(engine) {}
  // One evaluation at the engine clock's now; returns the events queued.
  size_t Evaluate();

 private:
  struct Armed {
    bool threshold = false;   // fired, waiting to fall back
    bool exhaustion = false;
    bool throttled = false;
    bool seen = false;        // last_throttled holds a reading
    uint64_t last_throttled = 0;
    int64_t last_ms = 0;
  };
  size_t EvaluateOne(const engine::WebhookEndpoint& e, engine::Tenant& t, int64_t now_ms, Armed& armed);
  bool Emit(const engine::WebhookEndpoint& e, const std::string& type, const std::string& tenant,
            const std::string& data_json);

  engine::Engine* const engine_;
  // (endpoint, tenant) -> state
  std::map<std::pair<std::string, std::string>, Armed> state_;
};

}  // namespace tenantkv::server
