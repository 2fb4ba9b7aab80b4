// plans list|show|set: the tiered plans, each a default quota plus the range
// a tenant admin may choose in.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "crypto/status.h"
#include "tools/admin/admin_command.h"

namespace tenantkv::tools {

// The FIELD=VALUE arguments of `plans set`, one list per group; an empty
// list leaves that group of the plan as it is.
struct PlanEdits {
  std::vector<std::string> defaults;  // --default: the quota a new tenant gets
  std::vector<std::string> min;       // --min: the lowest a tenant admin may set
  std::vector<std::string> max;       // --max: the highest a tenant admin may set
};

// GET /admin/v1/plans → one line per plan.
AdminCommand PlansList();

// GET /admin/v1/plans/{name} → its FIELD/DEFAULT/MIN/MAX table.
AdminCommand PlansShow(const std::string& name);

// PUT /admin/v1/plans/{name} {"defaults":{..},"min":{..},"max":{..}} with
// only the groups given → the plan (a new plan starts from "standard"). A
// UsageError when no group is given or an argument is not FIELD=VALUE.
Result<AdminCommand> PlansSet(const std::string& name, const PlanEdits& edits);

// Registers "plans" and its subcommands under `app`.
void AddPlanCommands(CLI::App& app, CommandSlot& slot);

}  // namespace tenantkv::tools
