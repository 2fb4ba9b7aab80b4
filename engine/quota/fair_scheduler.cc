#include "engine/quota/fair_scheduler.h"

#include <algorithm>

namespace tenantkv::engine {

void SchedulerTenantStats::ObserveWait(int64_t waited_us) {
  size_t i = 0;
  while (i < kQueueWaitBoundsUs.size() && waited_us > kQueueWaitBoundsUs[i]) ++i;
  ++queue_wait_buckets[i];
  queue_wait_us_total += waited_us;
  queue_wait_us_max = std::max(queue_wait_us_max, waited_us);
}

FairScheduler::FairScheduler(size_t slots, const Clock* clock)
    : clock_(clock), slots_(std::max<size_t>(1, slots)) {}

FairScheduler::~FairScheduler() {
  MutexLock lock(mu_);
  stopping_ = true;
}

Status FairScheduler::Run(const std::string& tenant, const SchedParams& params, double cost,
                          const std::function<void()>& fn) {
  MutexLock lock(mu_);
  if (stopping_) return Status::Unavailable("the server is shutting down", "draining");
  SchedulerTenantStats& st = stats_[tenant];
  if (active_ < slots_ && queue_.size() == 0) {  // uncontended: run now
    ++active_;
    ++st.served;
    st.served_cost += cost;
    st.ObserveWait(0);
    lock.Unlock();
    RunHoldingSlot(fn);
    return Status::Ok();
  }
  const uint64_t id = next_id_++;
  const int64_t now = clock_->NowMonotonicMicros();
  if (!queue_.Enqueue(tenant, params, {id, cost, now}, now)) {
    ++st.rejected_queue_full;
    return Status::Unavailable("the tenant's storage queue is full", "queue_full");
  }
  Task task;
  tasks_[id] = &task;
  while (!task.granted && !task.expired) task.cv.Wait(mu_);
  if (task.expired) {
    return Status::Unavailable("the request waited longer than max_queue_ms for storage", "deadline");
  }
  lock.Unlock();
  RunHoldingSlot(fn);
  return Status::Ok();
}

bool FairScheduler::TryRun(const std::string& tenant, double cost, const std::function<bool()>& fn) {
  {
    MutexLock lock(mu_);
    if (stopping_ || active_ >= slots_ || queue_.size() != 0) return false;
    ++active_;
  }
  // The slot is passed on even if `fn` throws; a call it served is counted
  // under the same lock.
  struct ReleaseOnExit {
    FairScheduler* s;
    const std::string& tenant;
    double cost;
    bool done = false;
    ~ReleaseOnExit() { s->Release(done ? &tenant : nullptr, cost); }
  } release{this, tenant, cost};
  release.done = fn();
  return release.done;
}

void FairScheduler::RunHoldingSlot(const std::function<void()>& fn) {
  // The slot is passed on even if the operation throws.
  struct ReleaseOnExit {
    FairScheduler* s;
    ~ReleaseOnExit() { s->Release(); }
  } release{this};
  fn();
}

void FairScheduler::Release(const std::string* served, double cost) {
  MutexLock lock(mu_);
  if (served != nullptr) {
    SchedulerTenantStats& st = stats_[*served];
    ++st.served;
    st.served_cost += cost;
    st.ObserveWait(0);
  }
  const int64_t now = clock_->NowMonotonicMicros();
  while (auto p = queue_.Pop(now)) {
    Task* task = tasks_[p->item.id];
    tasks_.erase(p->item.id);
    SchedulerTenantStats& st = stats_[p->tenant];
    st.ObserveWait(now - p->item.enqueued_us);
    if (p->expired) {
      ++st.expired_deadline;
      task->expired = true;
      task->cv.Signal();
      continue;
    }
    ++st.served;
    if (p->by_reservation) ++st.served_by_reservation;
    st.served_cost += p->item.cost;
    task->granted = true;  // the slot passes to it: active_ is unchanged
    task->cv.Signal();
    return;
  }
  --active_;
}

SchedulerTenantStats FairScheduler::Stats(const std::string& tenant) const {
  MutexLock lock(mu_);
  auto it = stats_.find(tenant);
  return it == stats_.end() ? SchedulerTenantStats() : it->second;
}

size_t FairScheduler::Queued(const std::string& tenant) const {
  MutexLock lock(mu_);
  return queue_.QueueLength(tenant);
}

std::map<std::string, SchedulerTenantStats> FairScheduler::AllStats() const {
  MutexLock lock(mu_);
  std::map<std::string, SchedulerTenantStats> out = stats_;
  for (auto& [tenant, st] : out) st.queued = queue_.QueueLength(tenant);
  return out;
}

void FairScheduler::Forget(const std::string& tenant) {
  MutexLock lock(mu_);
  stats_.erase(tenant);
}

}  // namespace tenantkv::engine
