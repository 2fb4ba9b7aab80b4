// tenants create|list|show|delete|suspend|resume|move-tier (and move:
// tenant_move.h).
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "crypto/status.h"
#include "tools/admin/admin_command.h"

namespace tenantkv::tools {

// POST /admin/v1/tenants {"id":id[,"plan":plan][,"tier":tier][,"node":node]}
// → the new tenant.
AdminCommand TenantsCreate(const std::string& id, const std::optional<std::string>& plan,
                           const std::optional<std::string>& tier = std::nullopt,
                           const std::optional<std::string>& node = std::nullopt);

// tenants list: a page of GET /admin/v1/tenants, filtered; each value
// unset leaves the server's default (limit 100, no filter), and the server
// judges them (400 invalid_limit, unknown_tier, invalid_parameter).
struct TenantListOptions {
  std::optional<std::string> limit;
  std::optional<std::string> start_after;
  std::optional<std::string> plan;
  std::optional<std::string> tier;
  std::optional<std::string> state;
  bool all = false;  // follow "next" to the end: every matching tenant
  std::optional<std::string> prefix;  // ids that start with it
};
// GET /admin/v1/tenants[?...] → one line per tenant; a page that is not the
// last ends with the --start-after that shows the next one.
AdminCommand TenantsList(const TenantListOptions& options = {});

// GET /admin/v1/tenants/{id} → the tenant.
AdminCommand TenantsShow(const std::string& id);

// DELETE /admin/v1/tenants/{id}. Deleting crypto-shreds the tenant's data,
// so without `confirmed` (--yes) it is a UsageError; it never prompts,
// because scripts have no terminal to answer.
Result<AdminCommand> TenantsDelete(const std::string& id, bool confirmed);

// POST /admin/v1/tenants/{id}/suspend and .../resume → the tenant.
AdminCommand TenantsSuspend(const std::string& id);
// POST /admin/v1/tenants/{id}/tier {"tier": TIER}: starts an online move.
AdminCommand TenantsMoveTier(const std::string& id, const std::string& tier);
AdminCommand TenantsResume(const std::string& id);

// Registers "tenants" and its subcommands under `app`; the chosen one fills
// `slot` when parsing completes.
void AddTenantCommands(CLI::App& app, CommandSlot& slot);

}  // namespace tenantkv::tools
