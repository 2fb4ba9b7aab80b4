#include "tools/admin/cluster_commands.h"

#include "tools/admin/json_table.h"
#include "tools/admin/terminal_text.h"

namespace tenantkv::tools {
namespace {

// A string member as the text itself (made safe for a terminal), else its cell.
std::string PlainAt(const Json& body, const char* name) {
  const Json* v = FindPath(body, name);
  return v != nullptr && v->is_string() ? OneLine(v->get<std::string>()) : CellAt(body, name);
}

std::string RenderStatus(const Json& body) {
  std::string out = "mode: " + PlainAt(body, "mode") + "\nnode: " + PlainAt(body, "node") + "\n";
  if (const Json* alive = FindPath(body, "lease_alive")) out += "lease alive: " + CellText(*alive) + "\n";
  const Json* nodes = FindPath(body, "nodes");
  const Json rows = nodes != nullptr ? *nodes : Json::array();
  out += "\n";
  out += RowsTable(rows, ColumnsWithExtras(rows, {{"ID", "id"},
                                                  {"ALIVE", "alive"},
                                                  {"TENANTS", "tenants"},
                                                  {"BYTES", "bytes"},
                                                  {"URL", "url"},
                                                  {"STARTED_AT", "started_at"}}))
             .Render();
  return out;
}

}  // namespace

AdminCommand ClusterStatus() { return {{"GET", "/admin/v1/cluster", std::nullopt}, RenderStatus}; }

void AddClusterCommands(CLI::App& app, CommandSlot& slot) {
  CLI::App* cluster = app.add_subcommand("cluster", "See the cluster's nodes");
  cluster->require_subcommand(1);
  CLI::App* status = cluster->add_subcommand("status", "List the nodes: alive or not, tenants, bytes, URL");
  status->callback([&slot] { slot.emplace(ClusterStatus()); });
}

}  // namespace tenantkv::tools
