// Rotation policy: when a tenant's current data key is due for rotation.
//
// A key version is due when it is older than `max_age_ms` or has sealed
// `max_seals` values or more (AES-GCM with random nonces is safe for about
// 2^32 seals per key; rotate well before that). Either bound may be off (0).
// RotateDue() walks every tenant of a RotationTarget and rotates the due
// ones; the server runs it on a timer and `tenantkv-admin keys rotate --due`
// runs it on demand, so cron or a systemd timer can drive it too. It is
// idempotent: a tenant that was just rotated has a fresh key and is not due.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "crypto/status.h"
#include "engine/clock.h"

namespace tenantkv::engine {

struct RotationPolicy {
  int64_t max_age_ms = 0;  // 0: age never makes a key due
  uint64_t max_seals = 0;  // 0: seal count never makes a key due
  bool enabled() const { return max_age_ms > 0 || max_seals > 0; }
};

// The key version that takes a tenant's new writes.
struct CurrentKeyState {
  uint32_t version = 0;
  int64_t created_at_ms = 0;
  uint64_t seals = 0;
};

enum class DueReason { kNotDue, kAge, kSeals };
const char* DueReasonName(DueReason r);  // "not_due" | "age" | "seals"

// Seals are checked before age: a key at its seal bound is due whatever its
// age. A clock that went backwards makes no key due by age.
DueReason RotationDue(const RotationPolicy& policy, const CurrentKeyState& key, int64_t now_ms);

// What RotateDue works on; the Engine provides the real one.
class RotationTarget {
 public:
  virtual ~RotationTarget() = default;
  virtual std::vector<std::string> RotationTenants() = 0;
  // NotFound if the tenant went away meanwhile (skipped, not an error).
  virtual Result<CurrentKeyState> RotationCurrentKey(const std::string& tenant) = 0;
  // Rotates and returns the new version.
  virtual Result<uint32_t> RotateForPolicy(const std::string& tenant, DueReason reason) = 0;
};

struct RotationOutcome {
  std::string tenant;
  uint32_t from = 0;
  uint32_t to = 0;  // 0 when the rotation failed
  DueReason reason = DueReason::kNotDue;
  std::string error;  // empty on success
};

struct RotationSweep {
  size_t checked = 0;  // tenants looked at
  std::vector<RotationOutcome> rotated;  // due ones, rotated or failed
  size_t failed() const;
};

// One sweep: every tenant checked against `policy` at `clock`'s time; a
// failure on one tenant is reported and the sweep goes on.
RotationSweep RotateDue(RotationTarget& target, const RotationPolicy& policy, const Clock& clock);

}  // namespace tenantkv::engine
