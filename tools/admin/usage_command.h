// usage: the quotas and consumption of the tenant whose token is sent.
#pragma once

#include <CLI/CLI.hpp>

#include "tools/admin/admin_command.h"

namespace tenantkv::tools {

// GET /v1/usage with a tenant token → usage and quota tables.
AdminCommand Usage();

// Registers "usage" under `app`.
void AddUsageCommand(CLI::App& app, CommandSlot& slot);

}  // namespace tenantkv::tools
