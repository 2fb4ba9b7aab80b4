#include "tools/admin/command_line.h"

#include <CLI/CLI.hpp>
#include <sstream>
#include <utility>

#include "tools/admin/addon_commands.h"
#include "tools/admin/apikey_commands.h"
#include "tools/admin/audit_commands.h"
#include "tools/admin/backup_commands.h"
#include "tools/admin/cli_errors.h"
#include "tools/admin/cluster_commands.h"
#include "tools/admin/health_command.h"
#include "tools/admin/master_key_commands.h"
#include "tools/admin/key_commands.h"
#include "tools/admin/plan_commands.h"
#include "tools/admin/operator_commands.h"
#include "tools/admin/request_commands.h"
#include "tools/admin/webhook_commands.h"
#include "tools/admin/quota_commands.h"
#include "tools/admin/tenancy_commands.h"
#include "tools/admin/tenant_commands.h"
#include "tools/admin/token_source.h"
#include "tools/admin/usage_command.h"

namespace tenantkv::tools {
namespace {

constexpr double kMaxTimeoutSeconds = 24 * 3600;

void AddGlobalOptions(CLI::App& app, GlobalOptions& globals) {
  app.add_option("--server", globals.server, "Server URL: http(s)://HOST[:PORT][/PATH]")
      ->required()
      ->envname("TENANTKV_SERVER");
  app.add_option("--token-file", globals.token_file,
                 std::string("File holding the bearer token (else $") + kTokenEnvVar + ")");
  app.add_option("--ca-cert", globals.ca_cert_file,
                 "PEM CA bundle to verify an https server with (else the system store)");
  app.add_flag("--json", globals.json, "Print the server's JSON answer instead of tables");
  app.add_option("--change-source", globals.change_source,
                 "What makes this change (a pipeline, a ticket): recorded in its audit entry")
      ->envname("TENANTKV_CHANGE_SOURCE");
  app.add_option("--change-reason", globals.change_reason, "Why: recorded in the change's audit entry");
  app.add_option("--timeout", globals.timeout_seconds, "Connect and read timeout in seconds")
      ->capture_default_str()
      ->check(CLI::Range(0.001, kMaxTimeoutSeconds));
}

void BuildApp(CLI::App& app, GlobalOptions& globals, CommandSlot& slot) {
  app.fallthrough();  // before the subcommands, which inherit it
  app.require_subcommand(1);
  app.set_version_flag("--version", "tenantkv-admin " TENANTKV_ADMIN_VERSION);
  AddGlobalOptions(app, globals);
  AddTenantCommands(app, slot);
  AddApiKeyCommands(app, slot);
  AddQuotaCommands(app, slot);
  AddPlanCommands(app, slot);
  AddUsageCommand(app, slot);
  AddKeyCommands(app, slot);
  AddHealthCommand(app, slot);
  AddBackupCommands(app, slot);
  AddAuditCommand(app, slot);
  AddMasterKeyCommands(app, slot);
  AddOperatorCommands(app, slot);
  AddClusterCommands(app, slot);
  AddAddonCommands(app, slot);
  AddTenancyCommands(app, slot);
  AddRequestCommands(app, slot);
  AddWebhookCommands(app, slot);
}

ParsedArgs UsageFailure(const Status& status) {
  return {std::nullopt, kExitUsage, ErrorLine(status) + "\n"};
}

ParsedArgs Informational(const CLI::App& app, const CLI::ParseError& e) {
  std::ostringstream out;
  std::ostringstream err;
  const int code = app.exit(e, out, err);
  return {std::nullopt, code, out.str()};
}

}  // namespace

ParsedArgs ParseArgs(int argc, const char* const* argv) {
  CLI::App app("Administer a tenantkv server over its admin API.", "tenantkv-admin");
  GlobalOptions globals;
  CommandSlot slot;
  BuildApp(app, globals, slot);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
      return Informational(app, e);
    }
    return UsageFailure(UsageError(std::string(e.what()) + " (see --help)"));
  }
  if (!slot.has_value()) return UsageFailure(UsageError("no command given"));
  if (!slot->ok()) return UsageFailure(slot->status());
  return {Invocation{std::move(globals), std::move(*slot).value()}, kExitOk, ""};
}

}  // namespace tenantkv::tools
