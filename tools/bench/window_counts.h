// Per-second accounting of a tenant's successes: how many requests completed
// in each whole second of the measured window, and the stored bytes they read
// and wrote (see op_bytes.h). This is what a quota check compares with the
// tenant's per-second limits.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "tools/bench/op_bytes.h"

namespace tenantkv::bench {

// Window i covers completions in [i s, (i + 1) s) after the measured window
// opened. Not thread-safe: each connection keeps its own and they are merged
// when the run ends. Memory is 24 bytes per second reached, at most
// `max_windows` seconds.
class WindowCounts {
 public:
  WindowCounts() = default;  // keeps no windows
  explicit WindowCounts(std::size_t max_windows) : max_windows_(max_windows) {}

  // One successful request that completed `since_measure_start` after the
  // measured window opened. Ignored before it (warm-up) and from window
  // `max_windows` on.
  void Add(std::chrono::nanoseconds since_measure_start, const OpBytes& bytes);

  // Adds `other` window by window; the result has the longer length.
  void Merge(const WindowCounts& other);

  // Keeps exactly `count` windows: later ones are dropped (a partial last
  // second), missing ones are zeros (seconds in which nothing completed).
  void Resize(std::size_t count);

  std::size_t size() const { return ok_.size(); }
  const std::vector<std::uint64_t>& ok() const { return ok_; }
  const std::vector<std::uint64_t>& read_bytes() const { return read_bytes_; }
  const std::vector<std::uint64_t>& write_bytes() const { return write_bytes_; }

 private:
  std::size_t max_windows_ = 0;
  std::vector<std::uint64_t> ok_;
  std::vector<std::uint64_t> read_bytes_;
  std::vector<std::uint64_t> write_bytes_;
};

struct WindowSummary {
  std::uint64_t min = 0;
  std::uint64_t median = 0;  // the lower of the two middle values for an even count
  std::uint64_t max = 0;
};

// All zeros for an empty series.
WindowSummary Summarise(const std::vector<std::uint64_t>& series);

}  // namespace tenantkv::bench
