#include "tools/admin/quota_view.h"

#include "tools/admin/json_table.h"
#include "tools/admin/terminal_text.h"

namespace tenantkv::tools {
namespace {

constexpr char kArrow[] = "\u2192";  // →

bool IsPair(const Json& change) { return change.is_array() && change.size() == 2; }

std::string ChangeTable(const Json& changes) {
  TextTable table({"FIELD", "OLD", "NEW"});
  for (const auto& [field, change] : changes.items()) {
    if (IsPair(change)) {
      table.AddRow({OneLine(field), CellText(change[0]), CellText(change[1])});
    } else {
      table.AddRow({OneLine(field), "-", CellText(change)});
    }
  }
  return table.Render();
}

}  // namespace

std::string ChangesText(const Json& changes) {
  if (!changes.is_object() || changes.empty()) return "-";
  std::string out;
  for (const auto& [field, change] : changes.items()) {
    if (!out.empty()) out += ", ";
    out += OneLine(field) + " ";
    out += IsPair(change) ? CellText(change[0]) + kArrow + CellText(change[1]) : CellText(change);
  }
  return out;
}

std::string RenderQuotaManifest(const Json& manifest) {
  if (!manifest.is_object()) return FieldTable(manifest, {}).Render();
  Json top = manifest;
  top.erase("quota");
  top.erase("changes");
  std::string out = FieldTable(top, {"version", "updated_by", "updated_at"}).Render();
  const Json* quota = FindPath(manifest, "quota");
  if (quota != nullptr) AppendSection(out, "quota", FieldTable(*quota, {}).Render());
  const Json* changes = FindPath(manifest, "changes");
  if (changes != nullptr && changes->is_object() && !changes->empty()) {
    AppendSection(out, "changes", ChangeTable(*changes));
  }
  return out;
}

std::string RenderQuotaHistory(const Json& body) {
  TextTable table({"VERSION", "UPDATED_AT", "UPDATED_BY", "CHANGES"});
  const Json* versions = FindPath(body, "versions");
  if (versions == nullptr || !versions->is_array()) return table.Render();
  for (const Json& version : *versions) {
    const Json* changes = FindPath(version, "changes");
    table.AddRow({CellAt(version, "version"), CellAt(version, "updated_at"),
                  CellAt(version, "updated_by"), changes != nullptr ? ChangesText(*changes) : "-"});
  }
  return table.Render();
}

}  // namespace tenantkv::tools
