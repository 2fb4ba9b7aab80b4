// FairScheduler: lets at most `slots` storage operations run at once and,
// when more wait, admits them in FairQueue order (reservation, then
// weighted fair share).
//
// Operations run on their callers' threads: an uncontended Run() executes
// at once with no hand-off; under contention the caller waits until a
// finishing operation grants it the slot. A full tenant queue
// answers Unavailable("queue_full") at once; an operation that waited past
// its tenant's latency budget is not run and answers
// Unavailable("deadline"). Per-tenant counters are kept for metrics.
// Thread-safe.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <string>

#include "crypto/mutex.h"
#include "crypto/status.h"
#include "engine/clock.h"
#include "engine/quota/fair_queue.h"

namespace tenantkv::engine {

// Upper bounds (microseconds) of the queue-wait histogram buckets; one more
// bucket counts everything above the last bound.
inline constexpr std::array<int64_t, 13> kQueueWaitBoundsUs = {
    100, 250, 500, 1'000, 2'500, 5'000, 10'000, 25'000, 50'000, 100'000, 250'000, 500'000, 1'000'000};

struct SchedulerTenantStats {
  uint64_t served = 0;
  uint64_t served_by_reservation = 0;
  uint64_t rejected_queue_full = 0;
  uint64_t expired_deadline = 0;
  double served_cost = 0;
  int64_t queue_wait_us_total = 0;
  int64_t queue_wait_us_max = 0;
  // Waits of every operation that left the queue (served or expired; an
  // uncontended one waited 0), per bucket of kQueueWaitBoundsUs — not
  // cumulative; the last element counts waits above the last bound.
  std::array<uint64_t, kQueueWaitBoundsUs.size() + 1> queue_wait_buckets{};
  size_t queued = 0;  // waiting now (filled in by AllStats only)

  void ObserveWait(int64_t waited_us);
};

class FairScheduler {
 public:
  // `clock` must outlive the scheduler. `slots`: operations running at once.
  FairScheduler(size_t slots, const Clock* clock);
  ~FairScheduler();  // refuses new operations; callers in Run() must be gone

  Status Run(const std::string& tenant, const SchedParams& params, double cost,
             const std::function<void()>& fn);
  // Runs `fn` at once, holding a slot, if one is free and nothing waits;
  // never waits. `fn` returns false if it could not do its work without
  // blocking: the operation is then not counted. True if it ran and did.
  bool TryRun(const std::string& tenant, double cost, const std::function<bool()>& fn);

  SchedulerTenantStats Stats(const std::string& tenant) const;
  // Every tenant's counters with `queued` filled in, taken under one lock
  // acquisition (for /metrics).
  std::map<std::string, SchedulerTenantStats> AllStats() const;
  // Drops the counters of a deleted tenant.
  void Forget(const std::string& tenant);
  // Operations of the tenant waiting for a worker.
  size_t Queued(const std::string& tenant) const;

 private:
  struct Task {
    bool granted = false;
    bool expired = false;
    CondVar cv;  // its caller waits here (no herd)
  };
  // Passes the finishing operation's slot to the next waiting one, if any.
  // `served`: first counts a TryRun() call of that tenant served, of `cost`.
  void Release(const std::string* served = nullptr, double cost = 0) EXCLUDES(mu_);
  void RunHoldingSlot(const std::function<void()>& fn) EXCLUDES(mu_);

  const Clock* const clock_;
  mutable Mutex mu_;
  const size_t slots_;
  size_t active_ GUARDED_BY(mu_) = 0;  // slots in use
  FairQueue queue_ GUARDED_BY(mu_);
  std::map<uint64_t, Task*> tasks_ GUARDED_BY(mu_);
  std::map<std::string, SchedulerTenantStats> stats_ GUARDED_BY(mu_);
  uint64_t next_id_ GUARDED_BY(mu_) = 1;
  bool stopping_ GUARDED_BY(mu_) = false;
};

}  // namespace tenantkv::engine
