// quota show|set|history|revert: a tenant's versioned quota manifest.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "crypto/status.h"
#include "tools/admin/admin_command.h"

namespace tenantkv::tools {

// GET /admin/v1/tenants/{tenant}/quota → the current manifest.
AdminCommand QuotaShow(const std::string& tenant);

// PUT /admin/v1/tenants/{tenant}/quota {FIELD: VALUE, ...} → the new
// manifest with its changes. A UsageError when `assignments` are not all
// well-formed FIELD=VALUE (see ParseFieldAssignments).
Result<AdminCommand> QuotaSet(const std::string& tenant,
                              const std::vector<std::string>& assignments);

// GET /admin/v1/tenants/{tenant}/quota/history → one line per version.
AdminCommand QuotaHistory(const std::string& tenant);

// POST /admin/v1/tenants/{tenant}/quota/revert {"version":version} → the new
// manifest, equal in its quota to `version`.
AdminCommand QuotaRevert(const std::string& tenant, std::int64_t version);

// Registers "quota" and its subcommands under `app`.
void AddQuotaCommands(CLI::App& app, CommandSlot& slot);

}  // namespace tenantkv::tools
