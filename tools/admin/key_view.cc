#include "tools/admin/key_view.h"

#include "tools/admin/json_table.h"
#include "tools/admin/terminal_text.h"

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

std::string RenderRotateDue(const Json& body) {
  std::string out;
  const Json* rotated = FindPath(body, "rotated");
  if (rotated != nullptr && !rotated->empty()) {
    out += RowsTable(*rotated, {{"TENANT", "tenant"},
                                {"FROM", "from"},
                                {"TO", "to"},
                                {"REASON", "reason"},
                                {"ERROR", "error"}})
               .Render();
  }
  out += "checked " + CellAt(body, "checked") + " tenant(s): " +
         std::to_string(rotated != nullptr ? rotated->size() : 0) + " due, " + CellAt(body, "failed") +
         " failed (policy: max age " + CellAt(body, "policy.max_age_days") + " days, max seals " +
         CellAt(body, "policy.max_seals") + ")\n";
  return out;
}

std::string RenderRotationPolicy(const Json& body) {
  Json fields = Json::object();
  for (const char* f : {"max_age_days", "max_seals", "check_interval_sec"}) {
    const Json* v = FindPath(body, std::string("policy.") + f);
    fields[f] = v != nullptr ? *v : Json();
  }
  fields["sweeps"] = body.value("sweeps", Json());
  std::string out = FieldTable(fields, {"max_age_days", "max_seals", "check_interval_sec", "sweeps"}).Render();
  const Json* last = FindPath(body, "last_sweep");
  if (last != nullptr && last->is_object()) {
    out += "last sweep: " + CellAt(*last, "at") + " by " + CellAt(*last, "by") + ", checked " +
           CellAt(*last, "checked") + ", rotated " + CellAt(*last, "rotated") + ", failed " +
           CellAt(*last, "failed") + "\n";
  } else {
    out += "last sweep: none yet\n";
  }
  return out;
}

std::string RenderKeySchedule(const Json& body) {
  const Json* tenants = FindPath(body, "tenants");
  const Json rows = tenants != nullptr ? *tenants : Json::array();
  std::string out = RowsTable(rows, {{"TENANT", "tenant"},
                                     {"VERSION", "version"},
                                     {"CREATED_AT", "created_at"},
                                     {"SEALS", "seals"},
                                     {"DUE_AT", "due_at"},
                                     {"DUE", "due"}})
                        .Render();
  const Json* next = FindPath(body, "next");
  if (next != nullptr && next->is_string()) {
    out += "(more: --start-after " + OneLine(next->get<std::string>()) + ", or --all)\n";
  }
  return out;
}

}  // namespace tenantkv::tools
