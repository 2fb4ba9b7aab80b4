// Jain's fairness index over the tenants of a run.
#pragma once

#include <optional>
#include <vector>

namespace tenantkv::bench {

// J = (sum x)^2 / (n * sum x^2) over non-negative `x`: 1 when all are equal,
// 1/n when one holds everything. nullopt when `x` is empty or all zero (no
// throughput to share, so no fairness to measure).
std::optional<double> JainIndex(const std::vector<double>& x);

// x_i = throughput_i / weight_i: the share each tenant got per unit of the
// share it should get, the quantity JainIndex compares. Both vectors have the
// same length; every weight is > 0.
std::vector<double> NormaliseByWeight(const std::vector<double>& throughput,
                                      const std::vector<double>& weights);

}  // namespace tenantkv::bench
