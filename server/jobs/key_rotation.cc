#include "server/jobs/key_rotation.h"

#include <spdlog/spdlog.h>

namespace tenantkv::server {

engine::RotationSweep KeyRotationService::Sweep(const std::string& actor) {
  MutexLock one_at_a_time(sweep_mu_);
  engine::RotationSweep sweep = engine_->RotateDueKeys(policy_, actor);
  SweepRecord rec;
  rec.at_ms = engine_->clock().NowUnixMillis();
  rec.actor = actor;
  rec.checked = sweep.checked;
  rec.failed = sweep.failed();
  rec.rotated = sweep.rotated.size() - rec.failed;
  for (const auto& r : sweep.rotated) {
    if (r.error.empty()) {
      spdlog::info("key rotation: tenant {} data key {} -> {} ({})", r.tenant, r.from, r.to,
                   engine::DueReasonName(r.reason));
    } else {
      spdlog::error("key rotation: tenant {} data key {} is due ({}) but did not rotate: {}", r.tenant,
                    r.from, engine::DueReasonName(r.reason), r.error);
    }
  }
  {
    MutexLock lock(mu_);
    ++sweeps_;
    last_ = rec;
  }
  return sweep;
}

uint64_t KeyRotationService::sweeps() const {
  MutexLock lock(mu_);
  return sweeps_;
}

SweepRecord KeyRotationService::last() const {
  MutexLock lock(mu_);
  return last_;
}

}  // namespace tenantkv::server
