#include "tools/admin/tenant_commands.h"

#include "tools/admin/admin_routes.h"
#include "tools/admin/cli_errors.h"
#include "tools/admin/command_args.h"
#include "tools/admin/paged_list.h"
#include "tools/admin/percent_encoding.h"
#include "tools/admin/tenant_move.h"
#include "tools/admin/tenant_view.h"
#include "tools/admin/terminal_text.h"

namespace tenantkv::tools {
namespace {

AdminCommand ChangeState(const std::string& id, const std::string& action) {
  return {{"POST", TenantPath(id) + "/" + action, std::nullopt}, RenderTenant};
}

void AddCreate(CLI::App& tenants, CommandSlot& slot) {
  CLI::App* cmd = tenants.add_subcommand("create", "Create a tenant with its storage and data key");
  CLI::Option* id = AddRequiredArg(*cmd, "id", "Tenant id: [a-z0-9][a-z0-9-]{0,62}");
  CLI::Option* plan = cmd->add_option("--plan", "Plan name (the server's default: standard)");
  CLI::Option* tier = cmd->add_option(
      "--tier", "Placement tier: pooled, column_family or dedicated (default: the plan's; free is pooled)");
  CLI::Option* node = cmd->add_option(
      "--node", "Cluster mode: the node to create it on (default: placed by the cluster, fewest bytes first)");
  cmd->callback([&slot, id, plan, tier, node] {
    slot.emplace(
        TenantsCreate(id->as<std::string>(), OptionalValue(plan), OptionalValue(tier), OptionalValue(node)));
  });
}

void AddList(CLI::App& tenants, CommandSlot& slot) {
  CLI::App* cmd = tenants.add_subcommand("list", "List tenants in id order, a page at a time");
  CLI::Option* limit = cmd->add_option("--limit", "Tenants per page, 1..1000 (the server's default: 100)");
  CLI::Option* start_after = cmd->add_option("--start-after", "Start after this tenant id (a page's \"next\")");
  CLI::Option* prefix = cmd->add_option("--prefix", "Only tenants whose id starts with this");
  CLI::Option* plan = cmd->add_option("--plan", "Only tenants of this plan");
  CLI::Option* tier = cmd->add_option("--tier", "Only tenants of this tier: pooled, column_family or dedicated");
  CLI::Option* state = cmd->add_option("--state", "Only tenants in this state: active, suspended or deleting");
  CLI::Option* all = cmd->add_flag("--all", "Follow the pages to the end");
  cmd->callback([&slot, limit, start_after, prefix, plan, tier, state, all] {
    TenantListOptions o;
    o.limit = OptionalValue(limit);
    o.start_after = OptionalValue(start_after);
    o.prefix = OptionalValue(prefix);
    o.plan = OptionalValue(plan);
    o.tier = OptionalValue(tier);
    o.state = OptionalValue(state);
    o.all = all->count() > 0;
    slot.emplace(TenantsList(o));
  });
}

void AddShow(CLI::App& tenants, CommandSlot& slot) {
  CLI::App* cmd = tenants.add_subcommand("show", "Show a tenant: plan, state, usage, key versions");
  CLI::Option* id = AddRequiredArg(*cmd, "id", "Tenant id");
  cmd->callback([&slot, id] { slot.emplace(TenantsShow(id->as<std::string>())); });
}

void AddDelete(CLI::App& tenants, CommandSlot& slot) {
  CLI::App* cmd = tenants.add_subcommand(
      "delete", "Delete a tenant: destroys its data keys, so its data can never be read again");
  CLI::Option* id = AddRequiredArg(*cmd, "id", "Tenant id");
  CLI::Option* yes = cmd->add_flag("-y,--yes", "Confirm the deletion (required)");
  cmd->callback(
      [&slot, id, yes] { slot.emplace(TenantsDelete(id->as<std::string>(), yes->count() > 0)); });
}

void AddStateChange(CLI::App& tenants, CommandSlot& slot, const std::string& name,
                    const std::string& description, AdminCommand (*build)(const std::string&)) {
  CLI::App* cmd = tenants.add_subcommand(name, description);
  CLI::Option* id = AddRequiredArg(*cmd, "id", "Tenant id");
  cmd->callback([&slot, id, build] { slot.emplace(build(id->as<std::string>())); });
}

void AddMoveTier(CLI::App& tenants, CommandSlot& slot) {
  CLI::App* cmd = tenants.add_subcommand(
      "move-tier", "Move a tenant's data to another tier, online (writes pause briefly at the switch)");
  CLI::Option* id = AddRequiredArg(*cmd, "id", "Tenant id");
  CLI::Option* to = cmd->add_option("--to", "The tier: pooled, column_family or dedicated")->required();
  cmd->callback([&slot, id, to] { slot.emplace(TenantsMoveTier(id->as<std::string>(), to->as<std::string>())); });
}

}  // namespace

AdminCommand TenantsMoveTier(const std::string& id, const std::string& tier) {
  // The tier is judged by the server (400 unknown_tier); `tenants show`
  // follows the move.
  return {{"POST", TenantPath(id) + "/tier", Json{{"tier", tier}}}, RenderTenant};
}

AdminCommand TenantsCreate(const std::string& id, const std::optional<std::string>& plan,
                           const std::optional<std::string>& tier, const std::optional<std::string>& node) {
  Json body = {{"id", id}};
  if (plan) body["plan"] = *plan;
  if (tier) body["tier"] = *tier;  // judged by the server (400 unknown_tier)
  if (node) body["node"] = *node;  // judged by the server (400 unknown_node)
  return {{"POST", TenantsPath(), std::move(body)}, RenderTenant};
}

AdminCommand TenantsList(const TenantListOptions& options) {
  return PagedListCommand(TenantsPath(),
                          {{"limit", options.limit},
                           {"prefix", options.prefix},
                           {"plan", options.plan},
                           {"tier", options.tier},
                           {"state", options.state}},
                          options.start_after, options.all, "tenants", RenderTenantList);
}

AdminCommand TenantsShow(const std::string& id) {
  return {{"GET", TenantPath(id), std::nullopt}, RenderTenant};
}

Result<AdminCommand> TenantsDelete(const std::string& id, bool confirmed) {
  if (!confirmed) {
    return UsageError("refusing to delete tenant '" + id +
                      "' without --yes: deletion destroys its data keys and cannot be undone");
  }
  const Renderer render = [id](const Json&) { return "deleted tenant '" + OneLine(id) + "'\n"; };
  return AdminCommand{{"DELETE", TenantPath(id), std::nullopt}, render};
}

AdminCommand TenantsSuspend(const std::string& id) { return ChangeState(id, "suspend"); }

AdminCommand TenantsResume(const std::string& id) { return ChangeState(id, "resume"); }

void AddTenantCommands(CLI::App& app, CommandSlot& slot) {
  CLI::App* tenants = app.add_subcommand("tenants", "Manage tenants");
  tenants->require_subcommand(1);
  AddCreate(*tenants, slot);
  AddList(*tenants, slot);
  AddShow(*tenants, slot);
  AddDelete(*tenants, slot);
  AddMoveTier(*tenants, slot);
  AddTenantMoveCommand(*tenants, slot);
  AddStateChange(*tenants, slot, "suspend", "Stop a tenant's data access, keeping its data",
                 TenantsSuspend);
  AddStateChange(*tenants, slot, "resume", "Restore a suspended tenant's data access",
                 TenantsResume);
}

}  // namespace tenantkv::tools
