#include "server/auth/admission.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "server/http/http_status.h"

namespace tenantkv::server {
namespace {

int64_t CeilSeconds(int64_t micros) {
  if (micros > INT64_MAX - 999'999) return INT64_MAX / 1'000'000;  // "never" (no overflow)
  return std::max<int64_t>(1, (micros + 999'999) / 1'000'000);
}

}  // namespace

Status Admission::Refuse(engine::TokenBucket& bucket, double need, const char* reason,
                         const std::string& what, HttpResponse& res) {
  const int64_t wait = bucket.MicrosUntil(need, clock_->NowMonotonicMicros());
  res.SetHeader("Retry-After", std::to_string(CeilSeconds(wait)));
  return Status(Code::kResourceExhausted, reason, what);
}

Result<AdmissionTicket> Admission::Admit(engine::Tenant& t, IoKind io, HttpResponse& res) {
  engine::TenantLimits& l = t.limits();
  const engine::Quota q = l.quota();
  if (l.in_flight().fetch_add(1) + 1 > q.max_concurrent) {
    l.in_flight()--;
    res.SetHeader("Retry-After", "1");
    return Status(Code::kResourceExhausted, "concurrency_limit",
                  "more than max_concurrent (" + std::to_string(q.max_concurrent) + ") requests in flight");
  }
  AdmissionTicket ticket(&t);
  const int64_t now = clock_->NowMonotonicMicros();
  const bool reads = io == IoKind::kRead || io == IoKind::kReadWrite;
  const bool writes = io == IoKind::kWrite || io == IoKind::kReadWrite;
  // I/O debt first: a refused request must not spend a request token.
  if (reads && l.read_bytes().Available(now) < 0) {
    return Refuse(l.read_bytes(), 0, "io_quota", "read_bytes_per_sec exhausted", res);
  }
  if (writes && l.write_bytes().Available(now) < 0) {
    return Refuse(l.write_bytes(), 0, "io_quota", "write_bytes_per_sec exhausted", res);
  }
  if (!l.requests().TryTake(1, now)) {
    return Refuse(l.requests(), 1, "rate_limited",
                  "requests_per_sec (" + std::to_string(q.requests_per_sec) + ") exceeded", res);
  }
  return ticket;
}

Status Admission::TakeExtraRequests(engine::Tenant& t, int64_t extra, HttpResponse& res) {
  if (extra <= 0) return Status::Ok();
  engine::TokenBucket& b = t.limits().requests();
  const int64_t now = clock_->NowMonotonicMicros();
  const int64_t ops = extra + 1;
  const int64_t burst = static_cast<int64_t>(b.capacity());
  if (ops > burst) {
    // It can never fit: no Retry-After. Its admission token stays spent,
    // as for any other refused call.
    return Status(Code::kTooLarge, "batch_exceeds_burst",
                  "the batch has " + std::to_string(ops) + " ops, more than burst_requests (" +
                      std::to_string(burst) + "); a batch costs one request per op, so split it");
  }
  // Judge the whole batch at once (the admission token goes back first); a
  // refused batch spends nothing.
  b.Charge(-1, now);
  if (b.TryTake(static_cast<double>(ops), now)) return Status::Ok();
  return Refuse(b, static_cast<double>(ops), "rate_limited",
                "a batch costs one request per op; not enough left for " + std::to_string(ops), res);
}

void Admission::Charge(engine::Tenant& t, int64_t read_bytes, int64_t write_bytes) {
  const int64_t now = clock_->NowMonotonicMicros();
  if (read_bytes > 0) t.limits().read_bytes().Charge(static_cast<double>(read_bytes), now);
  if (write_bytes > 0) t.limits().write_bytes().Charge(static_cast<double>(write_bytes), now);
}

void Admission::SetHeaders(engine::Tenant& t, HttpResponse& res) {
  engine::TokenBucket& b = t.limits().requests();
  const int64_t now = clock_->NowMonotonicMicros();
  const double capacity = b.capacity();
  const double tokens = b.Available(now);
  const double rate = b.rate();
  const int64_t remaining = std::max<int64_t>(0, static_cast<int64_t>(std::floor(tokens)));
  const int64_t reset = rate > 0 ? static_cast<int64_t>(std::ceil(std::max(0.0, capacity - tokens) / rate)) : 0;
  static const std::string kLimit = "RateLimit-Limit", kRemaining = "RateLimit-Remaining",
                           kReset = "RateLimit-Reset", kPolicy = "RateLimit-Policy";
  const std::string limit = std::to_string(static_cast<int64_t>(capacity));
  AddOwnHeader(res, kLimit, limit);
  AddOwnHeader(res, kRemaining, std::to_string(remaining));
  AddOwnHeader(res, kReset, std::to_string(reset));
  AddOwnHeader(res, kPolicy,
               limit + ";w=" +
                   std::to_string(std::max<int64_t>(1, static_cast<int64_t>(std::ceil(capacity / std::max(rate, 1.0))))));
  const engine::Quota q = t.limits().quota();
  const int64_t used = t.store().GetUsage().logical_bytes;
  if (q.storage_bytes > 0 && used > q.storage_bytes) {
    const engine::GraceState g = t.store().Grace();
    if (g.started_ms != 0 && !g.expired) {
      const int64_t left_s = std::max<int64_t>(0, (g.ends_ms - clock_->NowUnixMillis() + 999) / 1000);
      res.SetHeader("Quota-Warning", "storage grace: storage_bytes " + std::to_string(used) + "/" +
                                         std::to_string(q.storage_bytes) + ", writes allowed up to " +
                                         std::to_string(g.ceiling_bytes) + " for " + std::to_string(left_s) +
                                         " s more");
      return;
    }
  }
  // In double: storage_bytes * pct may overflow int64 near the bounds.
  if (q.storage_bytes > 0 &&
      static_cast<double>(used) >= static_cast<double>(q.storage_bytes) / 100.0 * static_cast<double>(q.storage_soft_pct)) {
    res.SetHeader("Quota-Warning",
                   "storage_bytes " + std::to_string(used) + "/" + std::to_string(q.storage_bytes));
  }
}

}  // namespace tenantkv::server
