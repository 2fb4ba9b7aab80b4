// apikeys create|list|revoke: a tenant's API keys.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "tools/admin/admin_command.h"

namespace tenantkv::tools {

// The roles a tenant API key can have.
inline const std::vector<std::string> kApiKeyRoles = {"read", "write", "admin"};

// POST /admin/v1/tenants/{tenant}/apikeys {"role":role} → the key and its
// token, the only time the token is ever shown.
AdminCommand ApiKeysCreate(const std::string& tenant, const std::string& role);

// GET /admin/v1/tenants/{tenant}/apikeys → one line per key, no secrets.
AdminCommand ApiKeysList(const std::string& tenant);

// DELETE /admin/v1/tenants/{tenant}/apikeys/{key_id}: the token stops
// working at once.
AdminCommand ApiKeysRevoke(const std::string& tenant, const std::string& key_id);

// Registers "apikeys" and its subcommands under `app`.
void AddApiKeyCommands(CLI::App& app, CommandSlot& slot);

}  // namespace tenantkv::tools
