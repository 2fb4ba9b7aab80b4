#include "engine/quota/capacity.h"

#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>
#include <limits>

namespace tenantkv::engine {
namespace {

int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t out = 0;
  if (!__builtin_add_overflow(a, b, &out)) return out;
  return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
}

int64_t SaturatingMul(int64_t a, int64_t b) {
  int64_t out = 0;
  if (__builtin_mul_overflow(a, b, &out)) return std::numeric_limits<int64_t>::max();
  return out;
}

}  // namespace

void CapacityUse::Add(const Quota& q) {
  reserved_ops_per_sec = SaturatingAdd(reserved_ops_per_sec, q.reserved_ops_per_sec);
  storage_bytes = SaturatingAdd(storage_bytes, q.storage_bytes);
}

Status CheckCapacity(const CapacityLimits& limits, const CapacityUse& before, const CapacityUse& after) {
  if (after.reserved_ops_per_sec > before.reserved_ops_per_sec &&
      after.reserved_ops_per_sec > limits.scheduler_ops_per_sec) {
    return Status::AlreadyExists("the tenants' reserved_ops_per_sec would add up to " +
                                     std::to_string(after.reserved_ops_per_sec) +
                                     ", over the scheduler's capacity of " +
                                     std::to_string(limits.scheduler_ops_per_sec) + " operations per second",
                                 "over_capacity");
  }
  const int64_t storage_limit = SaturatingMul(limits.disk_bytes, limits.storage_overcommit_ratio);
  if (after.storage_bytes > before.storage_bytes && after.storage_bytes > storage_limit) {
    return Status::AlreadyExists("the tenants' storage_bytes would add up to " +
                                     std::to_string(after.storage_bytes) + ", over " +
                                     std::to_string(storage_limit) + " (the data disk's " +
                                     std::to_string(limits.disk_bytes) + " bytes x overcommit ratio " +
                                     std::to_string(limits.storage_overcommit_ratio) + ")",
                                 "over_capacity");
  }
  return Status::Ok();
}

Result<int64_t> FileSystemBytes(const std::string& dir) {
  struct statvfs st {};
  if (::statvfs(dir.c_str(), &st) != 0) {
    return Status::Internal("statvfs " + dir + ": " + std::strerror(errno));
  }
  return SaturatingMul(static_cast<int64_t>(st.f_blocks), static_cast<int64_t>(st.f_frsize));
}

}  // namespace tenantkv::engine
