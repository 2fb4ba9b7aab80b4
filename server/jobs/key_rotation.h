// KeyRotationService: the server's side of scheduled data-key rotation.
//
// Holds the rotation policy from the server's settings (--key-max-age-days,
// --max-seals-per-key) and runs sweeps of it over every tenant
// (Engine::RotateDueKeys): from the BackgroundJobs timer every
// --key-rotation-check-sec, and on demand from
// POST /admin/v1/keys/rotate-due (`tenantkv-admin keys rotate --due`, which
// a cron job or systemd timer can run). Sweeps run one at a time. Remembers
// the last sweep for GET /admin/v1/keys/rotation. Thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "crypto/mutex.h"
#include "engine/engine.h"
#include "engine/rotation/rotation_policy.h"

namespace tenantkv::server {

struct SweepRecord {
  int64_t at_ms = 0;  // when it finished (0: no sweep yet)
  std::string actor;  // "system" (the timer) or who asked
  size_t checked = 0;
  size_t rotated = 0;  // rotated successfully
  size_t failed = 0;
};

class KeyRotationService {
 public:
  // `engine` must outlive the service.
  KeyRotationService(engine::Engine* engine, engine::RotationPolicy policy, int check_interval_sec)
      : engine_(engine), policy_(policy), check_interval_sec_(check_interval_sec) {}

  engine::RotationSweep Sweep(const std::string& actor);

  const engine::RotationPolicy& policy() const { return policy_; }
  int check_interval_sec() const { return check_interval_sec_; }
  uint64_t sweeps() const;
  SweepRecord last() const;

 private:
  engine::Engine* const engine_;
  const engine::RotationPolicy policy_;
  const int check_interval_sec_;
  Mutex sweep_mu_;  // one sweep at a time
  mutable Mutex mu_;
  uint64_t sweeps_ GUARDED_BY(mu_) = 0;
  SweepRecord last_ GUARDED_BY(mu_);
};

}  // namespace tenantkv::server
