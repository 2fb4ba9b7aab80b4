// The command line of tenantkv-bench:
//
//   tenantkv-bench --server http://HOST:PORT --duration SECONDS
//                  [--warmup SECONDS] [--json] [--quiet] [--setup]
//                  [--operator-token-file F] [--max-requests N]
//                  [--timeout SECONDS] [--setup-timeout SECONDS] [--seed N]
//                  --tenant SPEC [--tenant SPEC ...]
//
// SPEC is described at ParseTenantSpec().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tenantkv::bench {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the server or the network failed us
inline constexpr int kExitUsage = 2;    // the command line is wrong

struct BenchOptions {
  std::string server;                   // http URL; loopback only (checked later)
  double duration_seconds = 0;          // measured window, (0, 3600]
  double warmup_seconds = 0;            // before it, [0, 600]
  bool json = false;                    // JSON report on stdout instead of a table
  bool quiet = false;                   // no progress or setup lines on stderr
  bool setup = false;                   // create tenants and keys, pre-load values
  std::string operator_token_file;      // for --setup
  std::uint64_t max_requests = 5000000;  // over all tenants, [1, 1e9]
  double timeout_seconds = 10;          // per request, [0.001, 60]
  double setup_timeout_seconds = 120;   // per tenant's setup, [1, 3600]
  std::uint64_t seed = 1;               // op, key and value choice
  std::vector<std::string> tenant_specs;  // one per --tenant, unparsed
};

// What parsing argv gave: options to run with, or text to print and an exit
// code (--help: stdout, 0; a usage error: one line for stderr, 2).
struct ParsedCommandLine {
  std::optional<BenchOptions> options;
  int exit_code = kExitOk;  // meaningful when !options
  std::string output;       // when !options: ends in '\n'
};

ParsedCommandLine ParseCommandLine(int argc, const char* const* argv);

}  // namespace tenantkv::bench
