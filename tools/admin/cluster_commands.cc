#include "tools/admin/cluster_commands.h"

#include "tools/admin/command_args.h"
#include "tools/admin/json_table.h"
#include "tools/admin/paged_list.h"
#include "tools/admin/rebalance_command.h"
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

void AddTenants(CLI::App& cluster, CommandSlot& slot) {
  CLI::App* cmd = cluster.add_subcommand(
      "tenants", "List the cluster's tenants and their nodes in id order, a page at a time (standalone: this node's)");
  CLI::Option* node = cmd->add_option("--node", "Only tenants held by this node");
  CLI::Option* prefix = cmd->add_option("--prefix", "Only tenants whose id starts with this");
  CLI::Option* limit = cmd->add_option("--limit", "Tenants per page, 1..1000 (the server's default: 100)");
  CLI::Option* start_after = cmd->add_option("--start-after", "Start after this tenant id (a page's \"next\")");
  CLI::Option* all = cmd->add_flag("--all", "Follow the pages to the end");
  cmd->callback([&slot, node, prefix, limit, start_after, all] {
    ClusterTenantListOptions o;
    o.node = OptionalValue(node);
    o.prefix = OptionalValue(prefix);
    o.limit = OptionalValue(limit);
    o.start_after = OptionalValue(start_after);
    o.all = all->count() > 0;
    slot.emplace(ClusterTenants(o));
  });
}

}  // namespace

std::string RenderClusterTenants(const Json& body) {
  const Json* tenants = FindPath(body, "tenants");
  const Json rows = tenants != nullptr ? *tenants : Json::array();
  std::string out = RowsTable(rows, ColumnsWithExtras(rows, {{"ID", "id"},
                                                             {"NODE", "node"},
                                                             {"TIER", "tier"},
                                                             {"STATE", "state"},
                                                             {"EPOCH", "epoch"}}))
                        .Render();
  const Json* next = FindPath(body, "next");
  if (next != nullptr && next->is_string()) {
    out += "(more: --start-after " + OneLine(next->get<std::string>()) + ", or --all)\n";
  }
  return out;
}

AdminCommand ClusterStatus() { return {{"GET", "/admin/v1/cluster", std::nullopt}, RenderStatus}; }

AdminCommand ClusterTenants(const ClusterTenantListOptions& options) {
  return PagedListCommand("/admin/v1/cluster/tenants",
                          {{"node", options.node}, {"prefix", options.prefix}, {"limit", options.limit}},
                          options.start_after, options.all, "tenants", RenderClusterTenants);
}

void AddClusterCommands(CLI::App& app, CommandSlot& slot) {
  CLI::App* cluster = app.add_subcommand("cluster", "See the cluster's nodes and where its tenants are; even out their bytes");
  cluster->require_subcommand(1);
  CLI::App* status = cluster->add_subcommand("status", "List the nodes: alive or not, tenants, bytes, URL");
  status->callback([&slot] { slot.emplace(ClusterStatus()); });
  AddTenants(*cluster, slot);
  AddRebalanceCommand(*cluster, slot);
}

}  // namespace tenantkv::tools
