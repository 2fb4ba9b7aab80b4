#include "tools/bench/latency_histogram.h"

#include <algorithm>
#include <cmath>

namespace tenantkv::bench {
namespace {

constexpr int kSubBucketBits = 7;
constexpr std::int64_t kSubBuckets = std::int64_t{1} << kSubBucketBits;  // 128

// Position of the highest set bit (v > 0).
int HighestBit(std::uint64_t v) { return 63 - __builtin_clzll(v); }

std::size_t BucketCount() {
  return LatencyHistogram::BucketIndex(LatencyHistogram::kMaxTrackableNanos) + 1;
}

}  // namespace

LatencyHistogram::LatencyHistogram() : counts_(BucketCount(), 0) {}

std::size_t LatencyHistogram::BucketIndex(std::int64_t nanos) {
  const std::int64_t v = std::clamp<std::int64_t>(nanos, 0, kMaxTrackableNanos);
  if (v < kSubBuckets) return static_cast<std::size_t>(v);
  const int top = HighestBit(static_cast<std::uint64_t>(v));  // >= kSubBucketBits
  const int shift = top - kSubBucketBits;
  const std::int64_t sub = (v >> shift) - kSubBuckets;  // 0..127
  return static_cast<std::size_t>(kSubBuckets + shift * kSubBuckets + sub);
}

std::int64_t LatencyHistogram::BucketLow(std::size_t index) {
  const auto i = static_cast<std::int64_t>(index);
  if (i < kSubBuckets) return i;
  const std::int64_t shift = i / kSubBuckets - 1;
  const std::int64_t sub = i % kSubBuckets;
  return (kSubBuckets + sub) << shift;
}

std::int64_t LatencyHistogram::BucketWidth(std::size_t index) {
  const auto i = static_cast<std::int64_t>(index);
  if (i < kSubBuckets) return 1;
  return std::int64_t{1} << (i / kSubBuckets - 1);
}

void LatencyHistogram::Record(std::int64_t nanos) {
  nanos = std::max<std::int64_t>(nanos, 0);
  ++counts_[BucketIndex(nanos)];
  min_ = count_ == 0 ? nanos : std::min(min_, nanos);
  max_ = count_ == 0 ? nanos : std::max(max_, nanos);
  ++count_;
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  if (other.count_ == 0) return;
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = count_ == 0 ? other.max_ : std::max(max_, other.max_);
  count_ += other.count_;
}

std::int64_t LatencyHistogram::ValueAtQuantile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // The epsilon keeps 0.999 * 1000 at rank 999 despite rounding in q.
  constexpr double kRoundingSlack = 1e-9;
  const auto rank = std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_) - kRoundingSlack)));
  if (rank == 1) return min_;  // the extremes are known exactly
  if (rank >= count_) return max_;
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const std::int64_t mid = BucketLow(i) + BucketWidth(i) / 2;
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;
}

}  // namespace tenantkv::bench
