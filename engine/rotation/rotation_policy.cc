#include "engine/rotation/rotation_policy.h"

namespace tenantkv::engine {

const char* DueReasonName(DueReason r) {
  switch (r) {
    case DueReason::kAge:
      return "age";
    case DueReason::kSeals:
      return "seals";
    case DueReason::kNotDue:
      break;
  }
  return "not_due";
}

DueReason RotationDue(const RotationPolicy& policy, const CurrentKeyState& key, int64_t now_ms) {
  if (policy.max_seals > 0 && key.seals >= policy.max_seals) return DueReason::kSeals;
  if (policy.max_age_ms > 0 && now_ms > key.created_at_ms &&
      now_ms - key.created_at_ms >= policy.max_age_ms) {
    return DueReason::kAge;
  }
  return DueReason::kNotDue;
}

size_t RotationSweep::failed() const {
  size_t n = 0;
  for (const auto& r : rotated) n += r.error.empty() ? 0 : 1;
  return n;
}

RotationSweep RotateDue(RotationTarget& target, const RotationPolicy& policy, const Clock& clock) {
  RotationSweep sweep;
  if (!policy.enabled()) return sweep;
  for (const std::string& tenant : target.RotationTenants()) {
    auto key = target.RotationCurrentKey(tenant);
    if (!key.ok()) {
      if (key.status().code() == Code::kNotFound) continue;  // deleted meanwhile
      ++sweep.checked;
      sweep.rotated.push_back({tenant, 0, 0, DueReason::kNotDue, key.status().message()});
      continue;
    }
    ++sweep.checked;
    const DueReason reason = RotationDue(policy, *key, clock.NowUnixMillis());
    if (reason == DueReason::kNotDue) continue;
    RotationOutcome out{tenant, key->version, 0, reason, ""};
    auto rotated = target.RotateForPolicy(tenant, reason);
    if (rotated.ok()) {
      out.to = *rotated;
    } else if (rotated.status().code() == Code::kNotFound) {
      continue;
    } else {
      out.error = rotated.status().message();
    }
    sweep.rotated.push_back(std::move(out));
  }
  return sweep;
}

}  // namespace tenantkv::engine
