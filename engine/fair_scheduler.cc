#include "engine/fair_scheduler.h"

#include <algorithm>

namespace tenantkv::engine {

FairScheduler::FairScheduler(size_t workers, const Clock* clock) : clock_(clock) {
  for (size_t i = 0; i < std::max<size_t>(1, workers); ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

FairScheduler::~FairScheduler() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  for (auto& w : workers_) w.join();
}

Status FairScheduler::Run(const std::string& tenant, const SchedParams& params, double cost,
                          const std::function<void()>& fn) {
  Task task;
  task.fn = &fn;
  std::unique_lock<std::mutex> lock(mu_);
  if (stopping_) return Status::Unavailable("the server is shutting down", "draining");
  const uint64_t id = next_id_++;
  if (!queue_.Enqueue(tenant, params, {id, cost, clock_->NowMonotonicMicros()}, clock_->NowMonotonicMicros())) {
    ++stats_[tenant].rejected_queue_full;
    return Status::Unavailable("the tenant's storage queue is full", "queue_full");
  }
  tasks_[id] = &task;
  work_cv_.notify_one();
  task.cv.wait(lock, [&] { return task.done; });
  if (task.expired) {
    return Status::Unavailable("the request waited longer than max_queue_ms for storage", "deadline");
  }
  return Status::Ok();
}

void FairScheduler::WorkerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    work_cv_.wait(lock, [this] { return stopping_ || queue_.size() > 0; });
    if (queue_.size() == 0) return;  // stopping and drained
    const int64_t now = clock_->NowMonotonicMicros();
    FairQueue::Popped p = *queue_.Pop(now);
    Task* task = tasks_[p.item.id];
    tasks_.erase(p.item.id);
    SchedulerTenantStats& st = stats_[p.tenant];
    const int64_t waited = now - p.item.enqueued_us;
    st.queue_wait_us_total += waited;
    st.queue_wait_us_max = std::max(st.queue_wait_us_max, waited);
    if (p.expired) {
      ++st.expired_deadline;
      task->expired = true;
    } else {
      ++st.served;
      if (p.by_reservation) ++st.served_by_reservation;
      st.served_cost += p.item.cost;
      lock.unlock();
      (*task->fn)();
      lock.lock();
    }
    task->done = true;
    task->cv.notify_one();
  }
}

SchedulerTenantStats FairScheduler::Stats(const std::string& tenant) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = stats_.find(tenant);
  return it == stats_.end() ? SchedulerTenantStats() : it->second;
}

}  // namespace tenantkv::engine

namespace tenantkv::engine {

size_t FairScheduler::Queued(const std::string& tenant) const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.QueueLength(tenant);
}

}  // namespace tenantkv::engine
