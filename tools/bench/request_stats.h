// What a run measured for one tenant: answers by class and code, and the
// latency of the successful ones.
#pragma once

#include <array>
#include <cstdint>
#include <map>

#include "tools/bench/latency_histogram.h"
#include "tools/bench/op_mix.h"

namespace tenantkv::bench {

// The HTTP status a request ends with when no response arrived at all
// (connection refused or reset, timeout).
inline constexpr int kTransportError = 0;

enum class ResponseClass {
  kOk,           // 2xx; for get also 304 and 404 (a miss is a valid answer)
  kRateLimited,  // 429
  kOverloaded,   // 503
  kClientError,  // any other non-success below 500 (401, 404 on put, 413, ...)
  kServerError,  // 5xx other than 503
  kTransport,    // no response
};
inline constexpr std::size_t kResponseClassCount = 6;

ResponseClass Classify(OpKind op, int http_status);

// Not thread-safe: each connection keeps its own and they are merged.
struct RequestStats {
  std::uint64_t sent = 0;                                // requests answered or failed
  std::array<std::uint64_t, kResponseClassCount> by_class{};
  std::map<int, std::uint64_t> by_code;                  // HTTP status -> count (0 = transport)
  std::uint64_t ok_batches = 0;                          // successful /v1/batch calls
  std::uint64_t unsent = 0;  // open loop: due in the window, still unsent when it closed
  LatencyHistogram latency;   // successful requests: intended send time -> completion
  LatencyHistogram send_lag;  // every request: intended -> actual send (the client's lateness)

  void Record(OpKind op, int http_status, std::int64_t latency_nanos, std::int64_t send_lag_nanos);
  void Merge(const RequestStats& other);
  std::uint64_t Count(ResponseClass c) const { return by_class[static_cast<std::size_t>(c)]; }
};

}  // namespace tenantkv::bench
