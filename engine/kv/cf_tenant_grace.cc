// CfTenantStore's storage grace period (tenant_store.h: GraceState): a
// tenant past storage_bytes may go on growing up to an extra for a period.
// The period's transitions happen under grace_mu_ and are told to
// options_.on_grace outside it.
#include <algorithm>
#include <cstdint>
#include <optional>

#include "engine/kv/cf_tenant_store.h"

namespace tenantkv::engine {

namespace {

// storage_bytes plus `pct` percent of it, without overflow (limit is at most
// a quarter of int64's range, pct at most 100).
int64_t GraceCeiling(int64_t limit, int64_t pct) { return limit + limit / 100 * pct + limit % 100 * pct / 100; }

}  // namespace

GraceState CfTenantStore::GraceLocked(int64_t limit) const {
  GraceState g;
  g.started_ms = grace_started_ms_.load();
  if (g.started_ms == 0) return g;
  g.ends_ms = g.started_ms + int64_t{grace_seconds_.load()} * 1000;
  g.ceiling_bytes = GraceCeiling(limit, grace_pct_.load());
  g.expired = grace_expired_;
  return g;
}

void CfTenantStore::Notify(GraceEvent e, const GraceState& g) const {
  if (options_.on_grace) options_.on_grace(e, g);
}

bool CfTenantStore::AllowInGrace(int64_t after, int64_t limit) {
  const int64_t pct = grace_pct_.load(), seconds = grace_seconds_.load();
  if (pct <= 0 || seconds <= 0 || after > GraceCeiling(limit, pct)) return false;
  const int64_t now = clock_->NowUnixMillis();
  std::optional<GraceEvent> event;
  GraceState state;
  bool allow = false;
  {
    MutexLock lock(grace_mu_);
    const int64_t started = grace_started_ms_.load();
    if (started == 0) {
      grace_started_ms_ = std::max<int64_t>(now, 1);
      grace_expired_ = false;
      event = GraceEvent::kStarted;
    } else if (!grace_expired_ && now > started + seconds * 1000) {
      grace_expired_ = true;
      event = GraceEvent::kExpired;
    }
    allow = !grace_expired_;
    state = GraceLocked(limit);
  }
  if (event) Notify(*event, state);
  return allow;
}

void CfTenantStore::EndGraceIfBack(int64_t limit) {
  if (limit > 0 && bytes_.load() > limit) return;
  GraceState state;
  {
    MutexLock lock(grace_mu_);
    if (grace_started_ms_.load() == 0) return;
    state = GraceLocked(limit);
    grace_started_ms_ = 0;
    grace_expired_ = false;
  }
  Notify(GraceEvent::kEnded, state);
}

void CfTenantStore::SetGrace(int64_t extra_pct, int64_t seconds) {
  grace_pct_ = static_cast<int32_t>(std::clamp<int64_t>(extra_pct, 0, INT32_MAX));
  grace_seconds_ = static_cast<int32_t>(std::clamp<int64_t>(seconds, 0, INT32_MAX));
}

GraceState CfTenantStore::Grace() const {
  MutexLock lock(grace_mu_);
  return GraceLocked(storage_limit_.load());
}

void CfTenantStore::RestoreGrace(int64_t started_ms, bool expired) {
  MutexLock lock(grace_mu_);
  grace_started_ms_ = started_ms;
  grace_expired_ = started_ms != 0 && expired;
}

bool CfTenantStore::ExpireGraceIfDue() {
  const int64_t pct = grace_pct_.load(), seconds = grace_seconds_.load();
  const int64_t now = clock_->NowUnixMillis();
  GraceState state;
  {
    MutexLock lock(grace_mu_);
    const int64_t started = grace_started_ms_.load();
    if (started == 0 || grace_expired_) return false;
    // A grace turned off meanwhile ends the period too.
    if (pct > 0 && seconds > 0 && now <= started + seconds * 1000) return false;
    grace_expired_ = true;
    state = GraceLocked(storage_limit_.load());
  }
  Notify(GraceEvent::kExpired, state);
  return true;
}

}  // namespace tenantkv::engine
