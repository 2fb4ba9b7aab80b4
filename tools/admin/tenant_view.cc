#include "tools/admin/tenant_view.h"

#include "tools/admin/json_table.h"
#include "tools/admin/terminal_text.h"

namespace tenantkv::tools {

std::string RenderTenant(const Json& tenant) {
  const Json* quota = FindPath(tenant, "quota");
  const bool quota_section = quota != nullptr && quota->is_object() && !quota->empty();
  const Json* move = FindPath(tenant, "tier_move");
  const bool move_section = move != nullptr && move->is_object();
  Json fields = tenant;
  if (quota_section) fields.erase("quota");
  if (move_section) fields.erase("tier_move");
  std::string out = FieldTable(fields, {"id", "plan", "tier", "state", "created_at"}).Render();
  if (quota_section) AppendSection(out, "quota", FieldTable(*quota, {}).Render());
  // A running tier move's progress, or the last one's outcome.
  if (move_section) AppendSection(out, "tier_move", FieldTable(*move, {"to", "state", "copied_keys"}).Render());
  const std::string sections = ArraySections(tenant);
  if (!sections.empty()) AppendSection(out, "", sections);
  return out;
}

std::string RenderTenantList(const Json& body) {
  const Json* tenants = FindPath(body, "tenants");
  const Json rows = tenants != nullptr ? *tenants : Json::array();
  const std::vector<Column> columns =
      ColumnsWithExtras(rows, {
                                  {"ID", "id"},
                                  {"PLAN", "plan"},
                                  {"STATE", "state"},
                                  {"CREATED_AT", "created_at"},
                                  {"KEYS", "usage.keys"},
                                  {"LOGICAL_BYTES", "usage.logical_bytes"},
                              });
  std::string out = RowsTable(rows, columns).Render();
  const Json* next = FindPath(body, "next");
  if (next != nullptr && next->is_string()) {
    out += "(more: --start-after " + OneLine(next->get<std::string>()) + ", or --all)\n";
  }
  return out;
}

}  // namespace tenantkv::tools
