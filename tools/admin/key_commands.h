// keys rotate|status: a tenant's data-key versions.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "crypto/status.h"
#include "tools/admin/admin_command.h"

namespace tenantkv::tools {

// POST /admin/v1/tenants/{id}/keys/rotate → the tenant's key versions.
AdminCommand KeysRotate(const std::string& id);

// GET /admin/v1/tenants, then POST .../keys/rotate for every tenant. The
// answer is {"rotated":[{"tenant","rotated_to"}...],"failed":[{"tenant",
// "status","code","detail"}...]}; any failure fails the command (after
// every tenant was tried).
AdminCommand KeysRotateAll();

// POST /admin/v1/keys/rotate-due: the server rotates every tenant whose
// current data key its policy says is due; fails if any due one failed.
AdminCommand KeysRotateDue();

// GET /admin/v1/keys/rotation: the policy and the last sweep.
AdminCommand KeysRotationPolicy();

// GET /admin/v1/keys/schedule: when each tenant's current key falls due;
// `due_within_days` keeps the ones due by then, `all` follows the pages.
struct KeyScheduleOptions {
  std::optional<std::string> due_within_days;
  std::optional<std::string> limit;
  std::optional<std::string> start_after;
  bool all = false;
};
AdminCommand KeysSchedule(const KeyScheduleOptions& options);

// Exactly one of `id`, `all` and `due` (a UsageError otherwise).
Result<AdminCommand> KeysRotateFor(const std::optional<std::string>& id, bool all, bool due);

// GET /admin/v1/tenants/{id}/keys → one line per version.
AdminCommand KeysStatus(const std::string& id);

// Registers "keys" and its subcommands under `app`.
void AddKeyCommands(CLI::App& app, CommandSlot& slot);

}  // namespace tenantkv::tools
