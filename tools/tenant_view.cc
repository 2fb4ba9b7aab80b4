#include "tools/tenant_view.h"

#include "tools/json_table.h"

namespace tenantkv::tools {

std::string RenderTenant(const Json& tenant) {
  std::string out = FieldTable(tenant, {"id", "plan", "state", "created_at"}).Render();
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
  return RowsTable(rows, columns).Render();
}

}  // namespace tenantkv::tools
