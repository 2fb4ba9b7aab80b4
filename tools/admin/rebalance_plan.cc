#include "tools/admin/rebalance_plan.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <tuple>
#include <utility>

namespace tenantkv::tools {
namespace {

using Loads = std::map<std::string, std::uint64_t>;

double SpreadOf(const Loads& loads) {
  if (loads.size() < 2) return 0;
  std::uint64_t max = 0;
  std::uint64_t min = UINT64_MAX;
  for (const auto& [id, bytes] : loads) {
    max = std::max(max, bytes);
    min = std::min(min, bytes);
  }
  if (max == 0) return 0;
  return static_cast<double>(max - min) * 100.0 / static_cast<double>(max);
}

// How far the pair stays apart once `bytes` of its `gap` moved: |gap - 2*bytes|,
// written so that it cannot overflow (bytes < gap).
std::uint64_t Remainder(std::uint64_t gap, std::uint64_t bytes) {
  const std::uint64_t rest = gap - bytes;
  return rest > bytes ? rest - bytes : bytes - rest;
}

struct Step {
  std::string from;
  std::string to;
  std::size_t tenant = 0;  // index into the sorted tenants
};

class Planner {
 public:
  Planner(const std::vector<NodeLoad>& nodes, const std::vector<TenantSize>& tenants) {
    for (const NodeLoad& n : nodes) {
      if (n.alive) loads_.emplace(n.id, n.bytes);
    }
    tenants_ = tenants;
    // Sorted and without repeated ids, so that the plan does not depend on
    // the order the lists were read in.
    std::sort(tenants_.begin(), tenants_.end(), [](const TenantSize& a, const TenantSize& b) {
      return std::tie(a.id, a.node, a.bytes) < std::tie(b.id, b.node, b.bytes);
    });
    tenants_.erase(std::unique(tenants_.begin(), tenants_.end(),
                               [](const TenantSize& a, const TenantSize& b) { return a.id == b.id; }),
                   tenants_.end());
    for (std::size_t i = 0; i < tenants_.size(); ++i) {
      if (loads_.count(tenants_[i].node) > 0) movable_[tenants_[i].node].push_back(i);
    }
  }

  const Loads& loads() const { return loads_; }

  std::optional<Step> Next() const {
    std::vector<std::pair<std::string, std::uint64_t>> order(loads_.begin(), loads_.end());
    if (order.size() < 2) return std::nullopt;
    std::vector<std::pair<std::string, std::uint64_t>> sources = order;
    std::stable_sort(sources.begin(), sources.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    std::vector<std::pair<std::string, std::uint64_t>> targets = order;
    std::stable_sort(targets.begin(), targets.end(),
                     [](const auto& a, const auto& b) { return a.second < b.second; });
    const std::uint64_t heaviest = sources.front().second;
    const std::uint64_t lightest = targets.front().second;
    for (const auto& [from, from_bytes] : sources) {
      for (const auto& [to, to_bytes] : targets) {
        if (to_bytes >= from_bytes) break;  // targets only get heavier from here
        // Between two middle nodes a move changes neither the max nor the min.
        if (from_bytes != heaviest && to_bytes != lightest) continue;
        if (std::optional<std::size_t> t = BestTenant(from, from_bytes - to_bytes)) return Step{from, to, *t};
      }
    }
    return std::nullopt;
  }

  PlannedMove Apply(const Step& step) {
    const TenantSize& t = tenants_[step.tenant];
    loads_[step.from] -= t.bytes;
    loads_[step.to] += t.bytes;
    std::vector<std::size_t>& on_source = movable_[step.from];
    on_source.erase(std::find(on_source.begin(), on_source.end(), step.tenant));
    return {t.id, step.from, step.to, t.bytes};
  }

 private:
  // The tenant of `node` that leaves the pair closest to even, the lower id
  // on a tie (movable_ is in id order); none when no tenant helps.
  std::optional<std::size_t> BestTenant(const std::string& node, std::uint64_t gap) const {
    auto it = movable_.find(node);
    if (it == movable_.end()) return std::nullopt;
    std::optional<std::size_t> best;
    std::uint64_t best_remainder = 0;
    for (std::size_t i : it->second) {
      const std::uint64_t bytes = tenants_[i].bytes;
      if (bytes == 0 || bytes >= gap) continue;
      const std::uint64_t remainder = Remainder(gap, bytes);
      if (!best || remainder < best_remainder) {
        best = i;
        best_remainder = remainder;
      }
    }
    return best;
  }

  Loads loads_;                  // alive nodes only
  std::vector<TenantSize> tenants_;
  std::map<std::string, std::vector<std::size_t>> movable_;  // node → tenants not moved yet, by id
};

}  // namespace

double SpreadPct(const std::vector<NodeLoad>& nodes) {
  Loads loads;
  for (const NodeLoad& n : nodes) {
    if (n.alive) loads[n.id] = n.bytes;
  }
  return SpreadOf(loads);
}

RebalancePlan PlanRebalance(const std::vector<NodeLoad>& nodes, const std::vector<TenantSize>& tenants,
                            const PlanLimits& limits) {
  Planner planner(nodes, tenants);
  RebalancePlan plan;
  plan.spread_before_pct = SpreadOf(planner.loads());
  while (true) {
    if (SpreadOf(planner.loads()) <= limits.tolerance_pct) {
      plan.stop = PlanStop::kBalanced;
      break;
    }
    if (static_cast<int>(plan.moves.size()) >= limits.max_moves) {
      plan.stop = PlanStop::kMaxMoves;
      break;
    }
    std::optional<Step> step = planner.Next();
    if (!step) {
      plan.stop = PlanStop::kNoMoveHelps;
      break;
    }
    plan.moves.push_back(planner.Apply(*step));
  }
  plan.spread_after_pct = SpreadOf(planner.loads());
  plan.bytes_after = planner.loads();
  return plan;
}

const char* PlanStopName(PlanStop stop) {
  switch (stop) {
    case PlanStop::kBalanced:
      return "balanced";
    case PlanStop::kNoMoveHelps:
      return "no_move_helps";
    case PlanStop::kMaxMoves:
      return "max_moves";
  }
  return "balanced";
}

}  // namespace tenantkv::tools
