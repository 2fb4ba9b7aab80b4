// tenantkv-admin operators create|list|revoke: named operator keys, so
// that the audit names who acted (the bootstrap token stays the
// break-glass key).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "tools/admin/admin_command.h"

namespace tenantkv::tools {

// POST /admin/v1/operator-keys {"name"}: the key, its token shown once.
AdminCommand OperatorsCreate(const std::string& name);
// GET /admin/v1/operator-keys: one line per key (never a token).
AdminCommand OperatorsList();
// DELETE /admin/v1/operator-keys/{key_id}.
AdminCommand OperatorsRevoke(const std::string& key_id);

void AddOperatorCommands(CLI::App& app, CommandSlot& slot);

}  // namespace tenantkv::tools
