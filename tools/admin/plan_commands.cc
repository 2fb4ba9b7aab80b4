#include "tools/admin/plan_commands.h"

#include "tools/admin/admin_routes.h"
#include "tools/admin/cli_errors.h"
#include "tools/admin/command_args.h"
#include "tools/admin/field_assignments.h"
#include "tools/admin/plan_view.h"

namespace tenantkv::tools {
namespace {

// Adds `group` to `body` unless `assignments` is empty; the error names the
// option the bad argument came from.
Status AddGroup(Json& body, const char* group, const char* option,
                const std::vector<std::string>& assignments) {
  if (assignments.empty()) return Status::Ok();
  Result<Json> fields = ParseFieldAssignments(assignments);
  if (!fields.ok()) return UsageError(std::string(option) + ": " + fields.status().message());
  body[group] = std::move(fields).value();
  return Status::Ok();
}

void AddList(CLI::App& plans, CommandSlot& slot) {
  CLI::App* cmd = plans.add_subcommand("list", "List the plans with their main defaults");
  cmd->callback([&slot] { slot.emplace(PlansList()); });
}

void AddShow(CLI::App& plans, CommandSlot& slot) {
  CLI::App* cmd = plans.add_subcommand("show", "Show a plan: default, min and max of each field");
  CLI::Option* name = AddRequiredArg(*cmd, "name", "Plan name");
  cmd->callback([&slot, name] { slot.emplace(PlansShow(name->as<std::string>())); });
}

// A repeatable option taking one FIELD=VALUE per occurrence.
CLI::Option* AddAssignmentOption(CLI::App& command, const std::string& flag,
                                 const std::string& description) {
  const std::string text = description + " (repeatable)";
  return command.add_option(flag, text)->expected(1)->take_all()->type_name("FIELD=VALUE");
}

void AddSet(CLI::App& plans, CommandSlot& slot) {
  CLI::App* cmd =
      plans.add_subcommand("set", "Create or change a plan (a new one starts from standard)");
  CLI::Option* name = AddRequiredArg(*cmd, "name", "Plan name");
  CLI::Option* defaults =
      AddAssignmentOption(*cmd, "--default", "A default quota value for new tenants");
  CLI::Option* min = AddAssignmentOption(*cmd, "--min", "The lowest value a tenant admin may set");
  CLI::Option* max = AddAssignmentOption(*cmd, "--max", "The highest value a tenant admin may set");
  cmd->callback([&slot, name, defaults, min, max] {
    const PlanEdits edits{RepeatedValues(defaults), RepeatedValues(min), RepeatedValues(max)};
    slot.emplace(PlansSet(name->as<std::string>(), edits));
  });
}

}  // namespace

AdminCommand PlansList() { return {{"GET", PlansPath(), std::nullopt}, RenderPlanList}; }

AdminCommand PlansShow(const std::string& name) {
  return {{"GET", PlanPath(name), std::nullopt}, RenderPlan};
}

Result<AdminCommand> PlansSet(const std::string& name, const PlanEdits& edits) {
  Json body = Json::object();
  TKV_RETURN_IF_ERROR(AddGroup(body, "defaults", "--default", edits.defaults));
  TKV_RETURN_IF_ERROR(AddGroup(body, "min", "--min", edits.min));
  TKV_RETURN_IF_ERROR(AddGroup(body, "max", "--max", edits.max));
  if (body.empty()) return UsageError("nothing to set: give --default, --min or --max");
  return AdminCommand{{"PUT", PlanPath(name), std::move(body)}, RenderPlan};
}

void AddPlanCommands(CLI::App& app, CommandSlot& slot) {
  CLI::App* plans = app.add_subcommand("plans", "Manage the tiered plans");
  plans->require_subcommand(1);
  AddList(*plans, slot);
  AddShow(*plans, slot);
  AddSet(*plans, slot);
}

}  // namespace tenantkv::tools
