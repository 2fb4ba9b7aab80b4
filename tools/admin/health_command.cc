#include "tools/admin/health_command.h"

#include "tools/admin/admin_routes.h"

namespace tenantkv::tools {

AdminCommand Health() {
  AdminCommand command{{"GET", ReadyPath(), std::nullopt, /*authenticated=*/false},
                       [](const Json&) { return std::string("ready\n"); }};
  command.text_body_ok = true;
  return command;
}

void AddHealthCommand(CLI::App& app, CommandSlot& slot) {
  CLI::App* cmd = app.add_subcommand("health", "Check that the server is ready (needs no token)");
  cmd->callback([&slot] { slot.emplace(Health()); });
}

}  // namespace tenantkv::tools
