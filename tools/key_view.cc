#include "tools/key_view.h"

#include "tools/json_table.h"

namespace tenantkv::tools {

std::string RenderKeyStatus(const Json& body) {
  const Json* versions = FindPath(body, "versions");
  const Json rows = versions != nullptr ? *versions : Json::array();
  const std::vector<Column> columns = ColumnsWithExtras(rows, {
                                                                  {"VERSION", "version"},
                                                                  {"STATE", "state"},
                                                                  {"CREATED_AT", "created_at"},
                                                                  {"SEALS", "seals"},
                                                                  {"VALUES", "values"},
                                                              });
  std::string out = RowsTable(rows, columns).Render();
  const Json* running = FindPath(body, "reencrypting");
  if (running != nullptr && running->is_boolean()) {
    out += std::string("re-encryption: ") + (running->get<bool>() ? "running" : "idle") + "\n";
  }
  return out;
}

std::string RenderRotateAll(const Json& body) {
  std::string out;
  const Json* rotated = FindPath(body, "rotated");
  if (rotated != nullptr && !rotated->empty()) {
    out += RowsTable(*rotated, {{"TENANT", "tenant"}, {"ROTATED_TO", "rotated_to"}}).Render();
  }
  const Json* failed = FindPath(body, "failed");
  if (failed != nullptr && !failed->empty()) {
    out += "failed:\n" +
           RowsTable(*failed, {{"TENANT", "tenant"}, {"STATUS", "status"}, {"CODE", "code"}}).Render();
  }
  if (out.empty()) out = "no tenants\n";
  return out;
}

}  // namespace tenantkv::tools
