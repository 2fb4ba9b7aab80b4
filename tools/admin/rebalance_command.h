// tenantkv-admin cluster rebalance: read the alive nodes and the bytes of
// their tenants, plan moves that even the nodes out (rebalance_plan.h), and
// print the plan (--dry-run) or carry it out a few moves at a time (--apply).
#pragma once

#include <CLI/CLI.hpp>

#include <chrono>
#include <iosfwd>
#include <string>
#include <vector>

#include "crypto/status.h"
#include "tools/admin/admin_command.h"
#include "tools/admin/rebalance_plan.h"

namespace tenantkv::tools {

struct RebalanceOptions {
  bool apply = false;           // --apply; else --dry-run
  int max_concurrent = 1;       // --max-concurrent: moves in flight at once, 1..16
  PlanLimits limits;            // --tolerance, --max-moves
  std::chrono::milliseconds poll_interval{500};  // between two reads of the moving tenants
  double move_timeout_seconds = 600;             // a move not ended by then stops the run
  std::ostream* out = nullptr;                   // where --apply reports as it goes; nullptr = std::cout
};

// What the planner is given, and how it was read.
struct ClusterSnapshot {
  std::vector<NodeLoad> nodes;  // every listed node; an alive one's bytes are its tenants' sum when read
  std::vector<TenantSize> tenants;
  std::vector<std::string> notes;  // e.g. a node read through --server because its URL was out of reach
};

// Reads GET /admin/v1/cluster, then each alive node's tenants with their
// logical bytes from that node's own GET /admin/v1/tenants (every page,
// 1000 a page) at its advertised URL, through `connect`. A node whose URL
// cannot be reached (or without `connect`) is read through `transport`
// instead: its tenants from GET /admin/v1/cluster/tenants?node=, then one
// GET /admin/v1/tenants/{id} each. Deleting tenants count for nothing.
// With fewer than two alive nodes no tenant is read (nothing can move).
Result<ClusterSnapshot> ReadClusterSnapshot(HttpTransport& transport, const ProgramContext::Connect& connect);

// The plan as text: a TENANT/FROM/TO/BYTES table (or why there is none),
// then the spread before and after.
std::string RenderPlan(const RebalancePlan& plan, const PlanLimits& limits);

// {"nodes":[{"id","alive","bytes","bytes_after"}],"moves":[{"tenant","from",
// "to","bytes"}],"spread_before_pct","spread_after_pct","tolerance_pct",
// "max_moves","stopped"}; percentages to one decimal.
Json PlanJson(const ClusterSnapshot& snapshot, const RebalancePlan& plan, const PlanLimits& limits);

AdminCommand ClusterRebalance(const RebalanceOptions& options);

// Registers "cluster rebalance" under `cluster`.
void AddRebalanceCommand(CLI::App& cluster, CommandSlot& slot);

}  // namespace tenantkv::tools
