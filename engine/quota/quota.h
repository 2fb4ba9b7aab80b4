// Quota: the per-tenant limits of api.md's Quotas table, and plans.
//
// A Plan gives every field a default and the range [min, max] a tenant's
// own admin may choose in; operators may set any value within the field's
// absolute bounds. Every field is an integer. Plain values; not
// thread-safe by themselves (the manifest store hands out copies).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/status.h"

namespace tenantkv::engine {

struct Quota {
  int64_t requests_per_sec = 0;     // token bucket over calls (a batch costs one per op)
  int64_t burst_requests = 0;
  int64_t read_bytes_per_sec = 0;   // token buckets over bytes read / written
  int64_t write_bytes_per_sec = 0;
  int64_t burst_read_bytes = 0;
  int64_t burst_write_bytes = 0;
  int64_t max_concurrent = 0;       // requests in flight
  int64_t storage_bytes = 0;        // hard limit on logical bytes stored
  int64_t storage_soft_pct = 90;    // warning threshold, percent of storage_bytes
  // A grace period at the hard limit: past storage_bytes the tenant may go
  // on growing by this percent of it, for at most storage_grace_seconds from
  // the write that crossed it. Either 0 = no grace (the default).
  int64_t storage_grace_pct = 0;
  int64_t storage_grace_seconds = 0;
  int64_t max_value_bytes = 0;      // one value
  int64_t weight = 1;               // share of the storage scheduler under contention
  int64_t reserved_ops_per_sec = 0; // floor it is served at
  int64_t max_queue_ms = 1000;      // latency budget in the scheduler queue
};

struct QuotaField {
  const char* name;
  int64_t Quota::*member;
  int64_t min;  // absolute bounds, for everyone
  int64_t max;
  // Added after records were first written: a stored quota (manifest, plan,
  // export) without it reads as the field's default.
  bool added_later = false;
};

// Every field, in api.md's order.
const std::vector<QuotaField>& QuotaFields();
const QuotaField* FindQuotaField(std::string_view name);

// InvalidArgument naming the first field outside its absolute bounds, or a
// soft limit that makes no sense.
Status ValidateQuota(const Quota& q);

// True if every field of `a` equals that of `b`.
bool SameQuota(const Quota& a, const Quota& b);

// One immutable copy of `q`, shared with every other holder of an equal
// quota that is still alive. Tenants on a plan's defaults (almost all of
// them) then hold one pointer each to a handful of quotas, instead of a
// copy each in the quota store and again in their live limits: at 100,000
// tenants that is 240 bytes a tenant less. Thread-safe.
using SharedQuota = std::shared_ptr<const Quota>;
SharedQuota InternQuota(const Quota& q);

struct Plan {
  std::string name;
  Quota defaults;
  Quota min;  // a tenant admin may choose values in [min, max]
  Quota max;
};

// free, standard (the default for a new tenant), premium.
std::vector<Plan> BuiltInPlans();

// PermissionDenied("outside_plan_range") naming the field when `q` leaves
// the plan's range in a field that differs from `current` (fields a tenant
// admin did not touch are not judged).
Status CheckPlanRange(const Plan& plan, const Quota& current, const Quota& q);
// InvalidArgument unless min <= defaults <= max field by field and each
// within absolute bounds.
Status ValidatePlan(const Plan& plan);

// Field-by-field differences: name -> (old, new).
std::map<std::string, std::pair<int64_t, int64_t>> DiffQuota(const Quota& a, const Quota& b);

}  // namespace tenantkv::engine
