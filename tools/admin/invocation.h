// One run of tenantkv-admin: the global options and the chosen command, and
// how to carry it out.
#pragma once

#include <string>

#include "crypto/status.h"
#include "tools/admin/admin_command.h"

namespace tenantkv::tools {

struct GlobalOptions {
  std::string server;           // --server: http(s)://HOST[:PORT][/PATH]
  std::string token_file;       // --token-file: "" = read TENANTKV_TOKEN instead
  std::string ca_cert_file;     // --ca-cert: PEM bundle for https; "" = system store
  bool json = false;            // --json: print the server's JSON instead of tables
  double timeout_seconds = 30;  // --timeout: connect and read timeout, seconds, > 0
  std::string change_source;    // --change-source: sent as Tenantkv-Change-Source ("" = none)
  std::string change_reason;    // --change-reason: sent as Tenantkv-Change-Reason ("" = none)
};

struct Invocation {
  GlobalOptions globals;
  AdminCommand command;
};

// Checks the server URL, loads the token when the command needs one
// (LoadToken(globals.token_file, env_token)), connects and runs the command.
// Returns the text for stdout. Usage errors (bad URL, no token) come before
// any connection.
Result<std::string> Execute(const Invocation& invocation, const char* env_token);

// As Execute, with the exit code a successful run chose (RunCommandOutput).
Result<CommandOutput> ExecuteCommand(const Invocation& invocation, const char* env_token);

}  // namespace tenantkv::tools
