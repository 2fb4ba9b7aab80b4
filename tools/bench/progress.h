// The once-a-second progress line tenantkv-bench writes to stderr.
#pragma once

#include <string>
#include <vector>

#include "tools/bench/request_stats.h"

namespace tenantkv::bench {

struct TenantProgress {
  std::string name;
  RequestStats stats;  // everything so far, warm-up included
};

// "[   3s warmup] acme sent 600 ok 598 429 0 503 0 p99 1.234ms | beta ..."
// (no newline); "warmup" only while `in_warmup`.
std::string ProgressLine(double elapsed_seconds, bool in_warmup,
                         const std::vector<TenantProgress>& tenants);

}  // namespace tenantkv::bench
