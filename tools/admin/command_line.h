// The command line of tenantkv-admin:
//
//   tenantkv-admin --server URL [--token-file F] [--ca-cert F] [--json]
//                  [--timeout SECONDS] <command> ...
//
// Global options may also follow the command. Each command family adds
// itself in BuildApp() through its Add*Commands() function.
#pragma once

#include <optional>
#include <string>

#include "tools/admin/invocation.h"

namespace tenantkv::tools {

// What parsing argv gave: a command to run, or text to print and an exit
// code (help and --version: stdout, 0; a usage error: one line for stderr, 2).
struct ParsedArgs {
  std::optional<Invocation> invocation;
  int exit_code = 0;   // meaningful when !invocation
  std::string output;  // when !invocation: ends in '\n'
};

ParsedArgs ParseArgs(int argc, const char* const* argv);

}  // namespace tenantkv::tools
