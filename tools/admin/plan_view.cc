#include "tools/admin/plan_view.h"

#include <algorithm>
#include <array>

#include "tools/admin/json_table.h"
#include "tools/admin/terminal_text.h"

namespace tenantkv::tools {
namespace {

constexpr std::array<const char*, 3> kGroups = {"defaults", "min", "max"};

// The names of the quota fields of every group, in order of first appearance.
std::vector<std::string> FieldNames(const Json& plan) {
  std::vector<std::string> names;
  for (const char* group : kGroups) {
    const Json* fields = FindPath(plan, group);
    if (fields == nullptr || !fields->is_object()) continue;
    for (const auto& item : fields->items()) {
      const std::string& name = item.key();
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  }
  return names;
}

std::string RangeTable(const Json& plan) {
  TextTable table({"FIELD", "DEFAULT", "MIN", "MAX"});
  for (const std::string& name : FieldNames(plan)) {
    std::vector<std::string> row = {OneLine(name)};
    for (const char* group : kGroups) {
      const Json* fields = FindPath(plan, group);
      const bool has = fields != nullptr && fields->is_object() && fields->contains(name);
      row.push_back(has ? CellText(fields->at(name)) : "-");
    }
    table.AddRow(std::move(row));
  }
  return table.Render();
}

}  // namespace

std::string RenderPlanList(const Json& body) {
  const Json* plans = FindPath(body, "plans");
  const Json rows = plans != nullptr ? *plans : Json::array();
  const std::vector<Column> columns =
      ColumnsWithExtras(rows, {
                                  {"NAME", "name"},
                                  {"REQUESTS_PER_SEC", "defaults.requests_per_sec"},
                                  {"STORAGE_BYTES", "defaults.storage_bytes"},
                                  {"MAX_VALUE_BYTES", "defaults.max_value_bytes"},
                                  {"WEIGHT", "defaults.weight"},
                              });
  return RowsTable(rows, columns).Render();
}

std::string RenderPlan(const Json& plan) {
  if (!plan.is_object()) return FieldTable(plan, {}).Render();
  Json top = plan;
  for (const char* group : kGroups) top.erase(group);
  std::string out;
  if (!top.empty()) out = FieldTable(top, {"name"}).Render();
  AppendSection(out, "", RangeTable(plan));
  return out;
}

}  // namespace tenantkv::tools
