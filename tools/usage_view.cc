#include "tools/usage_view.h"

#include "tools/json_table.h"

namespace tenantkv::tools {
namespace {

// One row object per quota: {"quota": name, <its members>}; a quota that is
// not an object shows as {"quota": name, "value": v}.
Json QuotaRows(const Json& quotas) {
  Json rows = Json::array();
  for (const auto& [name, quota] : quotas.items()) {
    Json row = {{"quota", name}};
    if (quota.is_object()) {
      row.update(quota);
      row["quota"] = name;  // a member named "quota" must not hide the name
    } else {
      row["value"] = quota;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string QuotaTable(const Json& quotas) {
  const Json rows = QuotaRows(quotas);
  const std::vector<Column> columns = ColumnsWithExtras(rows, {
                                                                  {"QUOTA", "quota"},
                                                                  {"LIMIT", "limit"},
                                                                  {"USED", "used"},
                                                                  {"REMAINING", "remaining"},
                                                              });
  return RowsTable(rows, columns).Render();
}

}  // namespace

std::string RenderUsage(const Json& body) {
  if (!body.is_object()) return FieldTable(body, {}).Render();
  Json top = body;
  top.erase("usage");
  top.erase("quotas");
  std::string out;
  if (!top.empty()) out = FieldTable(top, {"tenant"}).Render();
  const Json* usage = FindPath(body, "usage");
  if (usage != nullptr) AppendSection(out, "usage", FieldTable(*usage, {}).Render());
  const Json* quotas = FindPath(body, "quotas");
  if (quotas != nullptr && quotas->is_object()) AppendSection(out, "quotas", QuotaTable(*quotas));
  if (out.empty()) out = "no usage reported\n";
  return out;
}

}  // namespace tenantkv::tools
