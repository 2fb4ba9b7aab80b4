#include "tools/bench/window_counts.h"

#include <algorithm>

namespace tenantkv::bench {

void WindowCounts::Add(std::chrono::nanoseconds since_measure_start, const OpBytes& bytes) {
  if (since_measure_start.count() < 0) return;
  const auto index = static_cast<std::size_t>(
      std::chrono::duration_cast<std::chrono::seconds>(since_measure_start).count());
  if (index >= max_windows_) return;
  if (index >= ok_.size()) Resize(index + 1);
  ++ok_[index];
  read_bytes_[index] += bytes.read;
  write_bytes_[index] += bytes.write;
}

void WindowCounts::Merge(const WindowCounts& other) {
  max_windows_ = std::max(max_windows_, other.max_windows_);
  if (other.size() > size()) Resize(other.size());
  for (std::size_t i = 0; i < other.size(); ++i) {
    ok_[i] += other.ok_[i];
    read_bytes_[i] += other.read_bytes_[i];
    write_bytes_[i] += other.write_bytes_[i];
  }
}

void WindowCounts::Resize(std::size_t count) {
  ok_.resize(count, 0);
  read_bytes_.resize(count, 0);
  write_bytes_.resize(count, 0);
}

WindowSummary Summarise(const std::vector<std::uint64_t>& series) {
  if (series.empty()) return {};
  std::vector<std::uint64_t> sorted = series;
  const auto middle = sorted.begin() + static_cast<std::ptrdiff_t>((sorted.size() - 1) / 2);
  std::nth_element(sorted.begin(), middle, sorted.end());
  const auto [lo, hi] = std::minmax_element(series.begin(), series.end());
  return {*lo, *middle, *hi};
}

}  // namespace tenantkv::bench
