#include "server/api/request_workers.h"

#include <algorithm>

namespace tenantkv::server {

RequestWorkers::RequestWorkers(size_t threads, const engine::Clock* clock) : clock_(clock) {
  for (size_t i = 0; i < std::max<size_t>(1, threads); ++i) threads_.emplace_back([this] { Loop(); });
}

RequestWorkers::~RequestWorkers() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  cv_.SignalAll();
  for (auto& t : threads_) t.join();
}

bool RequestWorkers::Submit(const std::string& tenant, const engine::SchedParams& params, double cost,
                            Work work) {
  {
    MutexLock lock(mu_);
    const uint64_t id = next_id_++;
    const int64_t now = clock_->NowMonotonicMicros();
    if (!queue_.Enqueue(tenant, params, {id, cost, now}, now)) return false;
    work_.emplace(id, std::move(work));
  }
  cv_.Signal();
  return true;
}

void RequestWorkers::Loop() {
  MutexLock lock(mu_);
  for (;;) {
    while (queue_.size() == 0 && !stopping_) cv_.Wait(mu_);
    if (queue_.size() == 0) return;  // stopping, and nothing left to run
    auto popped = queue_.Pop(clock_->NowMonotonicMicros());
    if (!popped) continue;
    auto it = work_.find(popped->item.id);
    Work work = std::move(it->second);
    work_.erase(it);
    lock.Unlock();
    work(popped->expired);
    work = nullptr;  // what it holds goes before the lock is taken again
    lock.Lock();
  }
}

}  // namespace tenantkv::server
