// The end-of-run report: per tenant achieved rate, answers by class and
// latency percentiles, and Jain's fairness index over all tenants.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tools/bench/request_stats.h"
#include "tools/bench/window_counts.h"

namespace tenantkv::bench {

struct TenantResult {
  std::string name;
  double weight = 1;
  double target_rate = 0;  // requests per second; 0 = closed loop
  int conns = 1;
  std::string mix;         // as OpMix::ToString()
  RequestStats stats;      // the measured window only
  WindowCounts windows;    // one entry per whole second of the measured window
};

struct RunReport {
  double measured_seconds = 0;  // length of the measured window
  double warmup_seconds = 0;
  std::string stopped_early;    // "" = ran its duration; else "max_requests" or "interrupted"
  std::vector<TenantResult> tenants;
};

// Successful requests per measured second (0 when nothing was measured).
double AchievedRate(const TenantResult& tenant, double measured_seconds);

// Jain's index over achieved rate / weight of every tenant; nullopt when no
// tenant got anything through.
std::optional<double> WeightedJainIndex(const RunReport& report);

// {"duration_s", "warmup_s", "stopped_early", "tenants": [{"name", "weight",
// "target_rate", "mode", "conns", "mix", "sent", "achieved_rate", "ok",
// "unsent", "batch_values_per_s", "status": {"429", "503", "other",
// "transport"}, "codes": {"<http status>": n}, "latency_ms": {"p50", "p90",
// "p99", "p999", "max"}, "send_lag_ms": {"p99", "max"}, "windows": {"ok",
// "read_bytes", "write_bytes"}}], "jain_index"}; each windows member is an
// array with one entry per whole measured second.
// Latencies are of successful requests; send_lag is how late the generator
// sent (open loop). Each is null when there were no samples; jain_index is
// null when no tenant got anything through.
nlohmann::ordered_json ReportJson(const RunReport& report);

// The same as a text table with a summary line, for a terminal.
std::string ReportTable(const RunReport& report);

}  // namespace tenantkv::bench
