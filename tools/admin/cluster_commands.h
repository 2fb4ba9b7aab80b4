// tenantkv-admin cluster status: the nodes of a cluster (or the one node
// of a standalone server) as GET /admin/v1/cluster lists them.
#pragma once

#include <CLI/CLI.hpp>

#include "tools/admin/admin_command.h"

namespace tenantkv::tools {

// GET /admin/v1/cluster: the mode and the answering node, then one line per
// node (id, alive, tenants, bytes, URL, start).
AdminCommand ClusterStatus();

void AddClusterCommands(CLI::App& app, CommandSlot& slot);

}  // namespace tenantkv::tools
