// tenantkv-admin cluster status: the nodes of a cluster (or the one node
// of a standalone server) as GET /admin/v1/cluster lists them; cluster
// tenants: the cluster's tenant directory (GET /admin/v1/cluster/tenants);
// cluster rebalance: rebalance_command.h.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "tools/admin/admin_command.h"

namespace tenantkv::tools {

// GET /admin/v1/cluster: the mode and the answering node, then one line per
// node (id, alive, tenants, bytes, URL, start).
AdminCommand ClusterStatus();

struct ClusterTenantListOptions {
  std::optional<std::string> node;    // only tenants held by this node
  std::optional<std::string> prefix;  // ids that start with it
  std::optional<std::string> limit;   // judged by the server (1..1000)
  std::optional<std::string> start_after;
  bool all = false;  // follow "next" to the end
};
// GET /admin/v1/cluster/tenants[?...] → one line per tenant (ID, NODE,
// TIER, STATE, EPOCH); a page that is not the last ends with the
// --start-after that shows the next one.
AdminCommand ClusterTenants(const ClusterTenantListOptions& options = {});
// The table of such a page.
std::string RenderClusterTenants(const Json& body);

void AddClusterCommands(CLI::App& app, CommandSlot& slot);

}  // namespace tenantkv::tools
