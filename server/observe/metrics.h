// Metrics: what GET /metrics exports — per-tenant request, byte, throttle,
// quota, scheduler and key-age series, the process and RocksDB gauges — in
// the Prometheus text format (server/observe/prometheus.h).
//
// Request counters live in RequestSeries objects: one attached to each
// tenant, one for the operator, one for callers without a valid token. The
// rest is read from the engine at scrape time, so only live tenants appear
// and a deleted tenant's series vanish with it.
//
// Cardinality is bounded for nodes of many tenants (MetricsOptions): a
// scrape carries per-tenant series for at most `active_tenants` recently
// active tenants plus the `top_tenants` largest by stored bytes; every
// tenant, with or without its own series, is counted in the per-plan and
// tier totals (tenantkv_plan_*).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "server/observe/request_series.h"

namespace tenantkv::server {

// The `tenant` label of callers that are not a tenant. Neither can be a
// tenant id (ids start with a letter or digit).
inline constexpr const char* kAnonymousTenantLabel = "-";
inline constexpr const char* kOperatorTenantLabel = "_operator";

struct MetricsOptions {
  // Per-tenant series for at most this many tenants with a request in the
  // last `active_window_sec` (the latest first) ...
  size_t active_tenants = 1000;
  int64_t active_window_sec = 300;
  // ... plus the tenants storing the most bytes, active or not.
  size_t top_tenants = 100;
};

class Metrics {
 public:
  // Index 0 is the "unmatched" route (no route pattern matched).
  static constexpr size_t kUnmatchedRoute = 0;

  // `engine` must outlive the Metrics.
  explicit Metrics(engine::Engine* engine, MetricsOptions options = {});

  // Registers a route's labels and returns its index. Call before serving
  // (not thread-safe with Render); at most RequestSeries::kMaxRoutes.
  size_t AddRoute(const std::string& method, const std::string& pattern);

  RequestSeries& anonymous() { return anonymous_; }
  RequestSeries& operator_series() { return operator_; }
  static RequestSeries& ForTenant(engine::Tenant& t) { return t.Attached<RequestSeries>(); }
  // A failed authentication answered 429 auth_backoff (its address failed
  // too often). Thread-safe.
  void CountAuthBackoff() { auth_backoff_.fetch_add(1, std::memory_order_relaxed); }

  // Where the tenantkv_http_connections_open gauge reads the HTTP front's
  // open connections (the front is made after the Api). Set once, before
  // serving: not thread-safe with Render. Unset: the gauge is left out.
  void SetOpenConnectionsSource(std::function<size_t()> source) { open_connections_ = std::move(source); }

  // The whole exposition. Thread-safe.
  std::string Render() const;

 private:
  struct RouteLabels {
    std::string method;
    std::string pattern;
  };
  struct Caller {
    std::string label;
    const RequestSeries* series;  // nullptr: no request recorded yet
  };

  engine::Engine* const engine_;
  const MetricsOptions options_;
  std::vector<RouteLabels> routes_;
  RequestSeries anonymous_;
  RequestSeries operator_;
  std::atomic<uint64_t> auth_backoff_{0};
  std::function<size_t()> open_connections_;
  const int64_t start_unix_ms_;
  const int64_t start_mono_us_;
};

}  // namespace tenantkv::server
