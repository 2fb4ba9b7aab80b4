#include "tools/bench/request_stats.h"

namespace tenantkv::bench {

ResponseClass Classify(OpKind op, int http_status) {
  constexpr int kNotModified = 304;
  constexpr int kNotFound = 404;
  constexpr int kTooManyRequests = 429;
  constexpr int kServiceUnavailable = 503;
  if (http_status == kTransportError) return ResponseClass::kTransport;
  if (http_status >= 200 && http_status < 300) return ResponseClass::kOk;
  if (op == OpKind::kGet && (http_status == kNotModified || http_status == kNotFound)) {
    return ResponseClass::kOk;
  }
  if (http_status == kTooManyRequests) return ResponseClass::kRateLimited;
  if (http_status == kServiceUnavailable) return ResponseClass::kOverloaded;
  if (http_status >= 500) return ResponseClass::kServerError;
  return ResponseClass::kClientError;
}

void RequestStats::Record(OpKind op, int http_status, std::int64_t latency_nanos,
                          std::int64_t send_lag_nanos) {
  const ResponseClass c = Classify(op, http_status);
  ++sent;
  send_lag.Record(send_lag_nanos);
  ++by_class[static_cast<std::size_t>(c)];
  ++by_code[http_status];
  if (c != ResponseClass::kOk) return;
  latency.Record(latency_nanos);
  if (op == OpKind::kBatch) ++ok_batches;
}

void RequestStats::Merge(const RequestStats& other) {
  sent += other.sent;
  for (std::size_t i = 0; i < by_class.size(); ++i) by_class[i] += other.by_class[i];
  for (const auto& [code, n] : other.by_code) by_code[code] += n;
  ok_batches += other.ok_batches;
  unsent += other.unsent;
  latency.Merge(other.latency);
  send_lag.Merge(other.send_lag);
}

}  // namespace tenantkv::bench
