#include "tools/admin/usage_command.h"

#include "tools/admin/admin_routes.h"
#include "tools/admin/usage_view.h"

namespace tenantkv::tools {

AdminCommand Usage() { return {{"GET", UsagePath(), std::nullopt}, RenderUsage}; }

void AddUsageCommand(CLI::App& app, CommandSlot& slot) {
  CLI::App* cmd =
      app.add_subcommand("usage", "Show the usage and quotas of the tenant whose token is used");
  cmd->callback([&slot] { slot.emplace(Usage()); });
}

}  // namespace tenantkv::tools
