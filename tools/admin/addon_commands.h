// tenantkv-admin addons create|list|cancel: temporary quota boosts of a
// tenant (absolute values for a period) that start and end on their own.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tools/admin/admin_command.h"

namespace tenantkv::tools {

struct AddonCreateOptions {
  std::string ends_at;                   // RFC 3339, required
  std::optional<std::string> starts_at;  // RFC 3339; the server's default: now
  std::optional<std::string> reason;
};

// POST /admin/v1/tenants/{id}/addons {"fields": {FIELD: VALUE...}, ...}.
// A UsageError for assignments ParseFieldAssignments refuses.
Result<AdminCommand> AddonsCreate(const std::string& tenant, const std::vector<std::string>& assignments,
                                  const AddonCreateOptions& options);
// GET /admin/v1/tenants/{id}/addons: one line per add-on.
AdminCommand AddonsList(const std::string& tenant);
// DELETE /admin/v1/tenants/{id}/addons/{addon_id}.
AdminCommand AddonsCancel(const std::string& tenant, const std::string& addon_id);

void AddAddonCommands(CLI::App& app, CommandSlot& slot);

}  // namespace tenantkv::tools
