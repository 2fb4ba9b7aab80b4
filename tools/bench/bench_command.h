// From options to report: check the target and the tenants, set them up
// when asked, run the load and print the result.
#pragma once

#include <ostream>

#include "crypto/status.h"
#include "tools/bench/bench_options.h"
#include "tools/bench/bench_run.h"

namespace tenantkv::bench {

// The run the options describe, before any connection is made: the target
// (loopback only), the parsed specs with their tokens (unless --setup will
// make them). InvalidArgument, in one line, for a refused host, a bad or
// repeated tenant, too many connections in all (> 1024), or a tenant without
// a token when --setup is off.
Result<RunPlan> PlanRun(const BenchOptions& options);

// Runs the options: plan, --setup, load, report (table or JSON on `out`;
// progress and setup lines on `err` unless --quiet). InvalidArgument for a
// usage problem; Unavailable when setup failed, or when the run ended (its
// report printed) without a single successful request.
Status Execute(const BenchOptions& options, std::ostream& out, std::ostream& err);

// kExitUsage for InvalidArgument, else kExitFailure.
int ExitCodeFor(const Status& status);

}  // namespace tenantkv::bench
