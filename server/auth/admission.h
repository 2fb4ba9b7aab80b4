// Admission: a tenant's rate, concurrency and I/O quotas at the door.
//
// Checked before a request touches storage, so a refusal costs microseconds:
// the request bucket (one token per call; a batch pays one per op), the
// in-flight count, and the read/write byte buckets, which must not be in
// debt. Bytes are charged after the operation with what it really read or
// wrote (debt carries over). Every data response gets RateLimit-* headers
// and, past the soft storage limit, Quota-Warning. Thread-safe.
#pragma once

#include <cstdint>

#include "engine/clock.h"
#include "engine/tenants/tenant.h"
#include "server/http/http_message.h"

namespace tenantkv::server {

enum class IoKind { kNone, kRead, kWrite, kReadWrite };

// Holds one in-flight slot of a tenant; released on destruction.
class AdmissionTicket {
 public:
  AdmissionTicket() = default;
  explicit AdmissionTicket(engine::Tenant* t) : tenant_(t) {}
  AdmissionTicket(AdmissionTicket&& o) noexcept : tenant_(o.tenant_) { o.tenant_ = nullptr; }
  AdmissionTicket& operator=(AdmissionTicket&& o) noexcept {
    std::swap(tenant_, o.tenant_);
    return *this;
  }
  AdmissionTicket(const AdmissionTicket&) = delete;
  ~AdmissionTicket() {
    if (tenant_ != nullptr) tenant_->limits().in_flight()--;
  }

 private:
  engine::Tenant* tenant_ = nullptr;
};

class Admission {
 public:
  explicit Admission(const engine::Clock* clock) : clock_(clock) {}

  // ResourceExhausted ("concurrency_limit" | "rate_limited" | "io_quota")
  // with Retry-After set on `res` when refused.
  Result<AdmissionTicket> Admit(engine::Tenant& t, IoKind io, HttpResponse& res);
  // Takes `extra` more request tokens (a batch's ops beyond the first),
  // before the batch runs. TooLarge("batch_exceeds_burst") when all its ops
  // are more than burst_requests (it can never fit: no Retry-After);
  // ResourceExhausted("rate_limited") with Retry-After when they fit the
  // burst but not the tokens left (then the batch spends nothing).
  Status TakeExtraRequests(engine::Tenant& t, int64_t extra, HttpResponse& res);
  void Charge(engine::Tenant& t, int64_t read_bytes, int64_t write_bytes);
  // RateLimit-Limit/Remaining/Reset (+ Policy) and Quota-Warning.
  void SetHeaders(engine::Tenant& t, HttpResponse& res);

  int64_t NowMicros() const { return clock_->NowMonotonicMicros(); }
  int64_t NowMillis() const { return clock_->NowUnixMillis(); }

 private:
  Status Refuse(engine::TokenBucket& bucket, double need, const char* reason, const std::string& what,
                HttpResponse& res);
  const engine::Clock* const clock_;
};

}  // namespace tenantkv::server
