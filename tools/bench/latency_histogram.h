// A log-bucketed latency histogram in the manner of HdrHistogram: constant
// memory, O(1) recording, and percentiles exact to within the bucket width.
#pragma once

#include <cstdint>
#include <vector>

namespace tenantkv::bench {

// Records durations in nanoseconds. Values below 128 ns have buckets 1 ns
// wide; above, every power-of-two range is split into 128 equal buckets, so a
// bucket is at most 1/128 (0.78 %) of its lower bound wide and a reported
// percentile (the bucket's midpoint, clamped to the recorded min and max) is
// within 0.4 % of the true one. Values above kMaxTrackableNanos (60 s) are
// counted in the top bucket; Max() still reports them exactly.
// Not thread-safe: one writer, or a lock around it.
class LatencyHistogram {
 public:
  static constexpr std::int64_t kMaxTrackableNanos = 60'000'000'000;

  LatencyHistogram();

  // Negative values count as 0.
  void Record(std::int64_t nanos);
  // Adds every sample of `other`.
  void Merge(const LatencyHistogram& other);

  std::uint64_t Count() const { return count_; }
  std::int64_t Min() const { return count_ == 0 ? 0 : min_; }
  std::int64_t Max() const { return count_ == 0 ? 0 : max_; }

  // The value at or below which a fraction `q` (0..1) of the samples lie:
  // the sample of rank ceil(q * Count()) (rank 1 for q = 0), resolved to its
  // bucket; the lowest and highest ranks give Min() and Max() exactly. 0
  // when empty.
  std::int64_t ValueAtQuantile(double q) const;

  // The bucket of `nanos` and its bounds [BucketLow, BucketLow + BucketWidth);
  // exposed so tests can state the precision.
  static std::size_t BucketIndex(std::int64_t nanos);
  static std::int64_t BucketLow(std::size_t index);
  static std::int64_t BucketWidth(std::size_t index);

 private:
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::int64_t min_ = 0;
  std::int64_t max_ = 0;
};

}  // namespace tenantkv::bench
