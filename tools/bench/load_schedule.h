// The open-loop schedule: when each request of a tenant is meant to be sent,
// fixed in advance, so a slow server delays the sends but never the plan.
#pragma once

#include <chrono>
#include <cstdint>

namespace tenantkv::bench {

// A tenant sending at `rate` requests per second over `conns` connections
// means request i at start + i / rate, dealt round-robin: connection c sends
// requests c, c + conns, c + 2 * conns, ... Its n-th request (n from 0) is
// therefore request n * conns + c. Times are offsets from the common start.
class LoadSchedule {
 public:
  using Nanos = std::chrono::nanoseconds;

  // rate > 0, conns >= 1, 0 <= conn_index < conns.
  LoadSchedule(double rate, int conns, int conn_index);

  // When this connection's n-th request is meant to go out.
  Nanos IntendedOffset(std::uint64_t n) const;

  // How many of this connection's requests are meant to go out strictly
  // before `horizon` (so n < CountBefore(h) <=> IntendedOffset(n) < h).
  std::uint64_t CountBefore(Nanos horizon) const;

 private:
  double rate_;
  std::uint64_t conns_;
  std::uint64_t conn_index_;
};

}  // namespace tenantkv::bench
