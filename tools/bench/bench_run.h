// A whole load run: every connection thread of every tenant, the progress
// line, and the merged results.
#pragma once

#include <cstdint>
#include <ostream>
#include <vector>

#include "tools/bench/loopback_target.h"
#include "tools/bench/report.h"
#include "tools/bench/tenant_spec.h"

namespace tenantkv::bench {

struct RunPlan {
  LoopbackTarget target;
  std::vector<TenantSpec> tenants;  // each with its token resolved into `token`
  double warmup_seconds = 0;        // >= 0, not measured
  double duration_seconds = 10;     // > 0, the measured window after warm-up
  std::uint64_t max_requests = 0;   // over all tenants, warm-up included; > 0
  double timeout_seconds = 10;      // per request (> 0)
  std::uint64_t seed = 1;           // for op, key and value choice
  bool progress = true;             // a line per second on `progress_out`
};

// Runs the plan and returns what was measured. Blocks for at most
// warmup + duration + timeout (plus thread start-up). SIGINT or SIGTERM
// during the run stops it early (the report says so); the previous handlers
// are restored before returning.
RunReport RunLoad(const RunPlan& plan, std::ostream& progress_out);

}  // namespace tenantkv::bench
