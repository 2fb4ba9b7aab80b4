// Runs an admin command against a FakeCluster (tests/testing/
// fake_admin_cluster.h) the way tenantkv-admin would: for the tests of the
// commands that move tenants between nodes.
#pragma once

#include <utility>

#include "tests/testing/fake_admin_cluster.h"
#include "tools/admin/invocation.h"

namespace tenantkv::tools {

inline Result<CommandOutput> RunAgainst(const testing::FakeCluster& cluster, AdminCommand command,
                                        bool json = false) {
  Invocation invocation{GlobalOptions{}, std::move(command)};
  invocation.globals.server = cluster.url();
  invocation.globals.json = json;
  return ExecuteCommand(invocation, "tkv_test_token");
}

}  // namespace tenantkv::tools
