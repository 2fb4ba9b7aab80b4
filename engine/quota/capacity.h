// Capacity: whether the node can hold what its tenants' quotas promise.
//
// Two sums are judged: the tenants' reserved_ops_per_sec against the
// scheduler's capacity (operations per second the node serves), and their
// storage_bytes against the data disk's size times an overcommit ratio
// (quotas are ceilings, rarely all reached at once). Plain functions; the
// engine sums and serializes the changes (Engine::CheckCapacity).
#pragma once

#include <cstdint>
#include <string>

#include "crypto/status.h"
#include "engine/quota/quota.h"

namespace tenantkv::engine {

struct CapacityLimits {
  int64_t scheduler_ops_per_sec = 10'000;  // the most the reservations may add up to
  int64_t disk_bytes = 0;                  // the data disk's size
  int64_t storage_overcommit_ratio = 10;   // storage quotas may add up to disk_bytes x this
};

// Sums over tenants of the quota fields that capacity is judged on.
struct CapacityUse {
  int64_t reserved_ops_per_sec = 0;
  int64_t storage_bytes = 0;
  void Add(const Quota& q);  // saturating: the sums never wrap
};

// AlreadyExists("over_capacity"), naming the numbers, when `after` raises
// a sum above `before` and past its limit. A change that does not raise a
// sum is never refused, so a node already past a limit (tenants created
// without the check) can still lower or reshape quotas.
Status CheckCapacity(const CapacityLimits& limits, const CapacityUse& before, const CapacityUse& after);

// The size in bytes of the file system holding `dir` (statvfs).
Result<int64_t> FileSystemBytes(const std::string& dir);

}  // namespace tenantkv::engine
