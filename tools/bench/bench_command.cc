#include "tools/bench/bench_command.h"

#include <set>
#include <sstream>

#include "tools/bench/tenant_setup.h"
#include "tools/bench/token_file.h"

namespace tenantkv::bench {
namespace {

constexpr int kMaxTotalConns = 1024;
constexpr int kJsonIndent = 2;

Status SetUpAll(const BenchOptions& options, RunPlan& plan, std::ostream& log) {
  SetupOptions setup;
  setup.target = plan.target;
  TKV_ASSIGN_OR_RETURN(setup.operator_token, ReadTokenFile(options.operator_token_file));
  setup.timeout_seconds = options.timeout_seconds;
  setup.deadline_seconds = options.setup_timeout_seconds;
  for (TenantSpec& spec : plan.tenants) {
    TKV_ASSIGN_OR_RETURN(spec.token, SetUpTenant(spec, setup, log));
  }
  return Status::Ok();
}

}  // namespace

Result<RunPlan> PlanRun(const BenchOptions& options) {
  RunPlan plan;
  TKV_ASSIGN_OR_RETURN(plan.target, ParseLoopbackTarget(options.server));
  std::set<std::string> names;
  int total_conns = 0;
  for (const std::string& text : options.tenant_specs) {
    Result<TenantSpec> spec = ParseTenantSpec(text);
    if (!spec.ok()) return Status::InvalidArgument("--tenant: " + spec.status().message());
    if (!names.insert(spec->name).second) {
      return Status::InvalidArgument("--tenant: name '" + spec->name + "' is given twice");
    }
    total_conns += spec->conns;
    if (!options.setup) {
      Result<std::string> token = GivenToken(*spec);
      if (!token.ok()) return Status::InvalidArgument("--tenant: " + token.status().message());
      spec->token = *token;
    }
    plan.tenants.push_back(std::move(*spec));
  }
  if (total_conns > kMaxTotalConns) {
    return Status::InvalidArgument("the tenants ask for " + std::to_string(total_conns) +
                                   " connections in all; at most 1024");
  }
  plan.warmup_seconds = options.warmup_seconds;
  plan.duration_seconds = options.duration_seconds;
  plan.max_requests = options.max_requests;
  plan.timeout_seconds = options.timeout_seconds;
  plan.seed = options.seed;
  plan.progress = !options.quiet;
  return plan;
}

Status Execute(const BenchOptions& options, std::ostream& out, std::ostream& err) {
  TKV_ASSIGN_OR_RETURN(RunPlan plan, PlanRun(options));
  std::ostringstream discard;
  std::ostream& log = options.quiet ? discard : err;
  if (options.setup) TKV_RETURN_IF_ERROR(SetUpAll(options, plan, log));
  const RunReport report = RunLoad(plan, log);
  if (options.json) {
    out << ReportJson(report).dump(kJsonIndent) << '\n';
  } else {
    out << ReportTable(report);
  }
  out.flush();
  for (const TenantResult& tenant : report.tenants) {
    if (tenant.stats.Count(ResponseClass::kOk) > 0) return Status::Ok();
  }
  return Status::Unavailable("no request succeeded (see the report)", "no_success");
}

int ExitCodeFor(const Status& status) {
  return status.code() == Code::kInvalidArgument ? kExitUsage : kExitFailure;
}

}  // namespace tenantkv::bench
