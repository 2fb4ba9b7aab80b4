#include "tools/admin/quota_commands.h"

#include <limits>

#include "tools/admin/admin_routes.h"
#include "tools/admin/command_args.h"
#include "tools/admin/field_assignments.h"
#include "tools/admin/paged_list.h"
#include "tools/admin/quota_view.h"

namespace tenantkv::tools {
namespace {

constexpr std::int64_t kMaxVersion = std::numeric_limits<std::int64_t>::max();

void AddShow(CLI::App& quota, CommandSlot& slot) {
  CLI::App* cmd = quota.add_subcommand("show", "Show a tenant's current quota and its version");
  CLI::Option* tenant = AddRequiredArg(*cmd, "tenant", "Tenant id");
  cmd->callback([&slot, tenant] { slot.emplace(QuotaShow(tenant->as<std::string>())); });
}

void AddSet(CLI::App& quota, CommandSlot& slot) {
  CLI::App* cmd =
      quota.add_subcommand("set", "Change quota fields; a new version, in effect within a second");
  CLI::Option* tenant = AddRequiredArg(*cmd, "tenant", "Tenant id");
  CLI::Option* fields =
      cmd->add_option("assignments", "FIELD=VALUE... with integer values, e.g. weight=2")
          ->required()
          ->expected(1, -1)  // one or more, all taken by this positional
          ->allow_extra_args()
          ->type_name("FIELD=VALUE");
  cmd->callback([&slot, tenant, fields] {
    slot.emplace(QuotaSet(tenant->as<std::string>(), RepeatedValues(fields)));
  });
}

void AddHistory(CLI::App& quota, CommandSlot& slot) {
  CLI::App* cmd = quota.add_subcommand("history", "List every quota version: who, when, what");
  CLI::Option* tenant = AddRequiredArg(*cmd, "tenant", "Tenant id");
  cmd->callback([&slot, tenant] { slot.emplace(QuotaHistory(tenant->as<std::string>())); });
}

void AddRevert(CLI::App& quota, CommandSlot& slot) {
  CLI::App* cmd =
      quota.add_subcommand("revert", "Make a new version equal to an earlier one (operator)");
  CLI::Option* tenant = AddRequiredArg(*cmd, "tenant", "Tenant id");
  CLI::Option* version = cmd->add_option("--version", "The version to return to")
                             ->required()
                             ->check(CLI::Range(std::int64_t{1}, kMaxVersion));
  cmd->callback([&slot, tenant, version] {
    slot.emplace(QuotaRevert(tenant->as<std::string>(), version->as<std::int64_t>()));
  });
}

}  // namespace

AdminCommand QuotaShow(const std::string& tenant) {
  return {{"GET", QuotaPath(tenant), std::nullopt}, RenderQuotaManifest};
}

Result<AdminCommand> QuotaSet(const std::string& tenant,
                              const std::vector<std::string>& assignments) {
  Result<Json> fields = ParseFieldAssignments(assignments);
  if (!fields.ok()) return fields.status();
  return AdminCommand{{"PUT", QuotaPath(tenant), std::move(fields).value()}, RenderQuotaManifest};
}

AdminCommand QuotaHistory(const std::string& tenant) {
  AdminCommand c{{"GET", QuotaPath(tenant) + "/history", std::nullopt}, RenderQuotaHistory};
  c.follow_up = FollowPages(QuotaPath(tenant) + "/history", "versions");
  return c;
}

AdminCommand QuotaRevert(const std::string& tenant, std::int64_t version) {
  return {{"POST", QuotaPath(tenant) + "/revert", Json{{"version", version}}}, RenderQuotaManifest};
}

void AddQuotaCommands(CLI::App& app, CommandSlot& slot) {
  CLI::App* quota = app.add_subcommand("quota", "Manage a tenant's quota");
  quota->require_subcommand(1);
  AddShow(*quota, slot);
  AddSet(*quota, slot);
  AddHistory(*quota, slot);
  AddRevert(*quota, slot);
}

}  // namespace tenantkv::tools
