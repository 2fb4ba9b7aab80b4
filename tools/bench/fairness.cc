#include "tools/bench/fairness.h"

#include <cassert>

namespace tenantkv::bench {

std::optional<double> JainIndex(const std::vector<double>& x) {
  double sum = 0;
  double sum_squares = 0;
  for (double v : x) {
    sum += v;
    sum_squares += v * v;
  }
  if (x.empty() || sum_squares <= 0) return std::nullopt;
  return (sum * sum) / (static_cast<double>(x.size()) * sum_squares);
}

std::vector<double> NormaliseByWeight(const std::vector<double>& throughput,
                                      const std::vector<double>& weights) {
  assert(throughput.size() == weights.size());
  std::vector<double> out;
  out.reserve(throughput.size());
  for (std::size_t i = 0; i < throughput.size(); ++i) out.push_back(throughput[i] / weights[i]);
  return out;
}

}  // namespace tenantkv::bench
