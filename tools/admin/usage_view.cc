#include "tools/admin/usage_view.h"

#include "tools/admin/json_table.h"

namespace tenantkv::tools {
namespace {

constexpr char kStorage[] = "storage_bytes";
constexpr char kBurnRate[] = "burn_rate_per_hour";
constexpr char kExhaustion[] = "projected_exhaustion";

// One row object per quota: {"quota": name, <its members>} without the
// storage forecast, which gets lines of its own; a quota that is not an
// object shows as {"quota": name, "value": v}.
Json QuotaRows(const Json& quotas) {
  Json rows = Json::array();
  for (const auto& [name, quota] : quotas.items()) {
    Json row = {{"quota", name}};
    if (quota.is_object()) {
      row.update(quota);
      row["quota"] = name;  // a member named "quota" must not hide the name
      if (name == kStorage) {
        row.erase(kBurnRate);
        row.erase(kExhaustion);
      }
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

// "storage burn rate: N bytes/hour" and "storage projected exhaustion: T"
// (null: not growing), for the members the server sent.
std::string StorageForecast(const Json& quotas) {
  const Json* storage = FindPath(quotas, kStorage);
  if (storage == nullptr || !storage->is_object()) return "";
  std::string out;
  const Json* rate = FindPath(*storage, kBurnRate);
  if (rate != nullptr) out += "storage burn rate: " + CellText(*rate) + " bytes/hour\n";
  const Json* exhaustion = FindPath(*storage, kExhaustion);
  if (exhaustion != nullptr) {
    out += "storage projected exhaustion: " +
           (exhaustion->is_null() ? std::string("none (not growing)") : CellText(*exhaustion)) +
           "\n";
  }
  return out;
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
  if (quotas != nullptr && quotas->is_object()) {
    AppendSection(out, "quotas", QuotaTable(*quotas));
    const std::string forecast = StorageForecast(*quotas);
    if (!forecast.empty()) AppendSection(out, "", forecast);
  }
  if (out.empty()) out = "no usage reported\n";
  return out;
}

}  // namespace tenantkv::tools
