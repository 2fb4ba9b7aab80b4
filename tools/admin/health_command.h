// health: whether the server is ready (storage open, keys loaded).
#pragma once

#include <CLI/CLI.hpp>

#include "tools/admin/admin_command.h"

namespace tenantkv::tools {

// GET /readyz without a token → "ready"; a server that is not ready answers
// non-2xx, which RunCommand turns into an error.
AdminCommand Health();

// Registers "health" under `app`.
void AddHealthCommand(CLI::App& app, CommandSlot& slot);

}  // namespace tenantkv::tools
