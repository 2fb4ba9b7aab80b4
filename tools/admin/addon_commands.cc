#include "tools/admin/addon_commands.h"

#include "tools/admin/admin_routes.h"
#include "tools/admin/command_args.h"
#include "tools/admin/field_assignments.h"
#include "tools/admin/json_table.h"
#include "tools/admin/percent_encoding.h"

namespace tenantkv::tools {
namespace {

std::string AddonsPath(const std::string& tenant) { return TenantPath(tenant) + "/addons"; }

// "requests_per_sec=3000 max_concurrent=128": the fields on one line.
std::string FieldsText(const Json& addon) {
  std::string out;
  const Json* fields = FindPath(addon, "fields");
  if (fields == nullptr || !fields->is_object()) return out;
  for (auto it = fields->begin(); it != fields->end(); ++it) {
    if (!out.empty()) out += ' ';
    out += it.key() + "=" + it.value().dump();
  }
  return out;
}

Json WithFieldsText(Json addon) {
  addon["fields_text"] = FieldsText(addon);
  return addon;
}

std::string RenderOne(const Json& addon) {
  return FieldTable(WithFieldsText(addon), {"id", "tenant", "state", "fields_text", "starts_at", "ends_at", "reason",
                                            "created_by", "started_version", "ended_version", "cancelled_by"})
      .Render();
}

std::string RenderList(const Json& body) {
  Json rows = Json::array();
  if (const Json* list = FindPath(body, "addons"); list != nullptr && list->is_array()) {
    for (const Json& a : *list) rows.push_back(WithFieldsText(a));
  }
  return RowsTable(rows, {{"ID", "id"},
                          {"STATE", "state"},
                          {"FIELDS", "fields_text"},
                          {"STARTS_AT", "starts_at"},
                          {"ENDS_AT", "ends_at"},
                          {"REASON", "reason"}})
      .Render();
}

}  // namespace

Result<AdminCommand> AddonsCreate(const std::string& tenant, const std::vector<std::string>& assignments,
                                  const AddonCreateOptions& options) {
  Result<Json> fields = ParseFieldAssignments(assignments);
  if (!fields.ok()) return fields.status();
  Json body{{"fields", std::move(fields).value()}, {"ends_at", options.ends_at}};
  // Times and reason are judged by the server (400 invalid_period, invalid_reason).
  if (options.starts_at) body["starts_at"] = *options.starts_at;
  if (options.reason) body["reason"] = *options.reason;
  return AdminCommand{{"POST", AddonsPath(tenant), std::move(body)}, RenderOne};
}

AdminCommand AddonsList(const std::string& tenant) {
  return {{"GET", AddonsPath(tenant), std::nullopt}, RenderList};
}

AdminCommand AddonsCancel(const std::string& tenant, const std::string& addon_id) {
  return {{"DELETE", AddonsPath(tenant) + "/" + EncodePathSegment(addon_id), std::nullopt}, RenderOne};
}

void AddAddonCommands(CLI::App& app, CommandSlot& slot) {
  CLI::App* addons = app.add_subcommand("addons", "Temporary quota boosts that start and end on their own");
  addons->require_subcommand(1);

  CLI::App* create = addons->add_subcommand(
      "create", "Grant a tenant absolute quota values for a period; each start and end is a quota version");
  CLI::Option* tenant = AddRequiredArg(*create, "tenant", "Tenant id");
  CLI::Option* fields = create->add_option("assignments", "FIELD=VALUE... e.g. requests_per_sec=3000")
                            ->required()
                            ->expected(1, -1)
                            ->allow_extra_args()
                            ->type_name("FIELD=VALUE");
  CLI::Option* ends_at =
      create->add_option("--ends-at", "When it ends, RFC 3339 (2026-12-31T00:00:00Z)")->required();
  CLI::Option* starts_at = create->add_option("--starts-at", "When it starts, RFC 3339; default: now");
  CLI::Option* reason = create->add_option("--reason", "Why (kept with the add-on; 1 to 1024 bytes)");
  create->callback([&slot, tenant, fields, ends_at, starts_at, reason] {
    AddonCreateOptions o;
    o.ends_at = ends_at->as<std::string>();
    o.starts_at = OptionalValue(starts_at);
    o.reason = OptionalValue(reason);
    slot.emplace(AddonsCreate(tenant->as<std::string>(), RepeatedValues(fields), o));
  });

  CLI::App* list = addons->add_subcommand("list", "List a tenant's add-ons, scheduled, active and finished");
  CLI::Option* list_tenant = AddRequiredArg(*list, "tenant", "Tenant id");
  list->callback([&slot, list_tenant] { slot.emplace(AddonsList(list_tenant->as<std::string>())); });

  CLI::App* cancel = addons->add_subcommand(
      "cancel", "Cancel a scheduled add-on, or end an active one now (its fields go back)");
  CLI::Option* cancel_tenant = AddRequiredArg(*cancel, "tenant", "Tenant id");
  CLI::Option* addon_id = AddRequiredArg(*cancel, "addon_id", "Add-on id, as shown by addons list");
  cancel->callback([&slot, cancel_tenant, addon_id] {
    slot.emplace(AddonsCancel(cancel_tenant->as<std::string>(), addon_id->as<std::string>()));
  });
}

}  // namespace tenantkv::tools
