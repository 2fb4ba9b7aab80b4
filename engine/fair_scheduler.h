// FairScheduler: runs tenants' storage operations on a bounded worker pool
// in FairQueue order (reservation, then weighted fair share).
//
// Run() blocks the calling thread until its operation has run on a worker,
// so the caller's stack stays valid for the operation. A full tenant queue
// answers Unavailable("queue_full") at once; an operation that waited past
// its tenant's latency budget is not run and answers
// Unavailable("deadline"). Per-tenant counters are kept for metrics.
// Thread-safe.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "crypto/status.h"
#include "engine/clock.h"
#include "engine/fair_queue.h"

namespace tenantkv::engine {

struct SchedulerTenantStats {
  uint64_t served = 0;
  uint64_t served_by_reservation = 0;
  uint64_t rejected_queue_full = 0;
  uint64_t expired_deadline = 0;
  double served_cost = 0;
  int64_t queue_wait_us_total = 0;
  int64_t queue_wait_us_max = 0;
};

class FairScheduler {
 public:
  // `clock` must outlive the scheduler.
  FairScheduler(size_t workers, const Clock* clock);
  ~FairScheduler();  // finishes queued operations, then joins the workers

  Status Run(const std::string& tenant, const SchedParams& params, double cost,
             const std::function<void()>& fn);

  SchedulerTenantStats Stats(const std::string& tenant) const;
  // Operations of the tenant waiting for a worker.
  size_t Queued(const std::string& tenant) const;

 private:
  struct Task {
    const std::function<void()>* fn;
    bool done = false;
    bool expired = false;
    std::condition_variable cv;  // its caller waits here (no herd on done)
  };
  void WorkerLoop();

  const Clock* const clock_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;   // workers wait for tasks
  FairQueue queue_;                   // GUARDED_BY(mu_)
  std::map<uint64_t, Task*> tasks_;   // GUARDED_BY(mu_)
  std::map<std::string, SchedulerTenantStats> stats_;  // GUARDED_BY(mu_)
  uint64_t next_id_ = 1;              // GUARDED_BY(mu_)
  bool stopping_ = false;             // GUARDED_BY(mu_)
  std::vector<std::thread> workers_;
};

}  // namespace tenantkv::engine
