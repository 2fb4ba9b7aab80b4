#include "tools/bench/load_schedule.h"

#include <cassert>
#include <cmath>

namespace tenantkv::bench {
namespace {

constexpr double kNanosPerSecond = 1e9;

}  // namespace

LoadSchedule::LoadSchedule(double rate, int conns, int conn_index)
    : rate_(rate),
      conns_(static_cast<std::uint64_t>(conns)),
      conn_index_(static_cast<std::uint64_t>(conn_index)) {
  assert(rate > 0 && conns >= 1 && conn_index >= 0 && conn_index < conns);
}

LoadSchedule::Nanos LoadSchedule::IntendedOffset(std::uint64_t n) const {
  const std::uint64_t request = n * conns_ + conn_index_;
  return Nanos(static_cast<std::int64_t>(
      std::floor(static_cast<double>(request) * kNanosPerSecond / rate_)));
}

std::uint64_t LoadSchedule::CountBefore(Nanos horizon) const {
  if (horizon.count() <= 0) return 0;
  // Estimate from the closed form, then settle on the exact boundary with the
  // same arithmetic IntendedOffset uses, so the two can never disagree.
  const double requests = static_cast<double>(horizon.count()) * rate_ / kNanosPerSecond;
  const double estimate = std::ceil((requests - static_cast<double>(conn_index_)) /
                                    static_cast<double>(conns_));
  std::uint64_t n = estimate > 0 ? static_cast<std::uint64_t>(estimate) : 0;
  while (n > 0 && IntendedOffset(n - 1) >= horizon) --n;
  while (IntendedOffset(n) < horizon) ++n;
  return n;
}

}  // namespace tenantkv::bench
