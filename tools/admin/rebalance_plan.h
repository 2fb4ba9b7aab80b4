// The planner of `tenantkv-admin cluster rebalance`: which tenants to move
// between cluster nodes so that their stored bytes even out. Pure (no I/O),
// so that every rule below is unit-tested on made-up clusters.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tenantkv::tools {

struct NodeLoad {
  std::string id;
  bool alive = true;    // only alive nodes give or take tenants
  std::uint64_t bytes = 0;
};

struct TenantSize {
  std::string id;
  std::string node;  // the node that holds it
  std::uint64_t bytes = 0;
};

struct PlanLimits {
  double tolerance_pct = 10;  // stop once (max - min) / max is at most this
  int max_moves = 10;         // plan at most this many moves
};

struct PlannedMove {
  std::string tenant;
  std::string from;
  std::string to;
  std::uint64_t bytes = 0;
};

// Why planning stopped.
enum class PlanStop {
  kBalanced,     // the spread is within the tolerance
  kNoMoveHelps,  // no tenant can move without leaving the pair as uneven or worse
  kMaxMoves,     // max_moves reached
};

struct RebalancePlan {
  std::vector<PlannedMove> moves;  // in the order to run them
  double spread_before_pct = 0;    // (max - min) / max of the alive nodes, in percent
  double spread_after_pct = 0;     // the same once every move is done
  PlanStop stop = PlanStop::kBalanced;
  std::map<std::string, std::uint64_t> bytes_after;  // each alive node's bytes once the plan ran
};

// (max - min) / max over the alive nodes' bytes, in percent; 0 with fewer
// than two alive nodes or when none holds anything.
double SpreadPct(const std::vector<NodeLoad>& nodes);

// The greedy plan. Each step looks at the pairs (source, target) with the
// source heavier, the source among the heaviest or the target among the
// lightest nodes, heaviest source first, then lightest target, then node id;
// in the first pair where a tenant helps, it moves the tenant whose bytes
// come closest to half the pair's gap (ties: the lower tenant id). A tenant
// helps when 0 < bytes < gap: the target ends lighter than the source was,
// and the pair ends closer than it was (a tenant of the whole gap or more
// would only swap or widen it). Each tenant moves at most once; tenants of
// dead nodes or naming no known node stay where they are. Inputs may come
// in any order: the result depends only on their content.
RebalancePlan PlanRebalance(const std::vector<NodeLoad>& nodes, const std::vector<TenantSize>& tenants,
                            const PlanLimits& limits);

// "balanced", "no_move_helps" or "max_moves".
const char* PlanStopName(PlanStop stop);

}  // namespace tenantkv::tools
