// apikeys create|list|revoke: a tenant's API keys.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tools/admin/admin_command.h"

namespace tenantkv::tools {

// The roles a tenant API key can have.
inline const std::vector<std::string> kApiKeyRoles = {"read", "write", "admin"};

// What apikeys create may add to the role; absent = not sent.
struct ApiKeyCreateOptions {
  std::optional<std::string> name;        // free text, shown in lists
  std::optional<std::string> expires_at;  // RFC 3339, sent as given
};

// POST /admin/v1/tenants/{tenant}/apikeys {"role":role, "name"?,
// "expires_at"?} → the key and its token, the only time the token is ever
// shown.
AdminCommand ApiKeysCreate(const std::string& tenant, const std::string& role,
                           const ApiKeyCreateOptions& options = {});

// GET /admin/v1/tenants/{tenant}/apikeys → one line per key, no secrets.
AdminCommand ApiKeysList(const std::string& tenant);

// DELETE /admin/v1/tenants/{tenant}/apikeys/{key_id}: the token stops
// working at once.
AdminCommand ApiKeysRevoke(const std::string& tenant, const std::string& key_id);

// Registers "apikeys" and its subcommands under `app`.
void AddApiKeyCommands(CLI::App& app, CommandSlot& slot);

}  // namespace tenantkv::tools
