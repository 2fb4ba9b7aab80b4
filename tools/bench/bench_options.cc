#include "tools/bench/bench_options.h"

#include <CLI/CLI.hpp>
#include <sstream>

namespace tenantkv::bench {
namespace {

constexpr double kMaxDurationSeconds = 3600;
constexpr double kMaxWarmupSeconds = 600;
constexpr double kMaxTimeoutSeconds = 60;
constexpr double kMaxSetupSeconds = 3600;
constexpr std::uint64_t kMaxRequestsCap = 1000000000;

constexpr char kSpecHelp[] =
    "A tenant: name=ID[,token=T|token_file=F][,rate=R][,conns=C][,mix=OP:W/...]"
    "[,keys=K][,value=BYTES][,weight=W]. OP is get, put, list or batch (100 puts); "
    "rate=0 is closed loop (as fast as each connection can). Defaults: rate=100, conns=2, "
    "mix=get:90/put:10, keys=1000, value=100, weight=1. Repeat for more tenants.";

void BuildApp(CLI::App& app, BenchOptions& o) {
  app.add_option("--server", o.server, "Server URL http://HOST:PORT; loopback hosts only")
      ->required();
  app.add_option("--duration", o.duration_seconds, "Measured seconds (after the warm-up)")
      ->required()
      ->check(CLI::Range(0.001, kMaxDurationSeconds));
  app.add_option("--warmup", o.warmup_seconds, "Seconds of load before measuring starts")
      ->capture_default_str()
      ->check(CLI::Range(0.0, kMaxWarmupSeconds));
  app.add_option("--tenant", o.tenant_specs, kSpecHelp)->required()->allow_extra_args(false);
  app.add_flag("--json", o.json, "Print the report as JSON");
  app.add_flag("--quiet", o.quiet, "No progress or setup lines on stderr");
  app.add_flag("--setup", o.setup,
               "Create the tenants (an existing one is kept), a write key for each tenant "
               "without a token, and pre-load its keys");
  app.add_option("--operator-token-file", o.operator_token_file,
                 "File holding the operator token (needed by --setup)");
  app.add_option("--max-requests", o.max_requests, "Stop after this many requests in all")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{1}, kMaxRequestsCap));
  app.add_option("--timeout", o.timeout_seconds, "Per-request timeout in seconds")
      ->capture_default_str()
      ->check(CLI::Range(0.001, kMaxTimeoutSeconds));
  app.add_option("--setup-timeout", o.setup_timeout_seconds,
                 "Seconds one tenant's --setup (pre-load included) may take")
      ->capture_default_str()
      ->check(CLI::Range(1.0, kMaxSetupSeconds));
  app.add_option("--seed", o.seed, "Seed of the op, key and value choice")->capture_default_str();
}

}  // namespace

ParsedCommandLine ParseCommandLine(int argc, const char* const* argv) {
  CLI::App app("Open-loop multi-tenant load generator for a tenantkv server (loopback only).",
               "tenantkv-bench");
  BenchOptions options;
  BuildApp(app, options);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
      std::ostringstream out;
      std::ostringstream err;
      const int code = app.exit(e, out, err);
      return {std::nullopt, code, out.str()};
    }
    return {std::nullopt, kExitUsage, "error: " + std::string(e.what()) + " (see --help)\n"};
  }
  if (options.setup && options.operator_token_file.empty()) {
    return {std::nullopt, kExitUsage, "error: --setup needs --operator-token-file\n"};
  }
  return {std::move(options), kExitOk, ""};
}

}  // namespace tenantkv::bench
