#include "server/api/request_workers.h"

#include <algorithm>
#include <thread>

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
    queued_.fetch_add(1, std::memory_order_relaxed);
    // The spinning worker takes a lone item without a wake-up; more wake
    // sleepers, so that work in flight (durable writes sharing an fsync)
    // runs in parallel.
    if (spinning_ && queue_.size() == 1) return true;
  }
  cv_.Signal();
  return true;
}

void RequestWorkers::Loop() {
  MutexLock lock(mu_);
  for (;;) {
    if (queue_.size() == 0 && !stopping_ && !spinning_) {
      // One worker at a time waits a little before sleeping, yielding the
      // core: under load the next request comes within microseconds, and
      // a sleeping worker costs a wake-up (two context switches) for it.
      spinning_ = true;
      lock.Unlock();
      for (int i = 0; i < kSpins && queued_.load(std::memory_order_relaxed) == 0; ++i) std::this_thread::yield();
      lock.Lock();
      spinning_ = false;
    }
    while (queue_.size() == 0 && !stopping_) cv_.Wait(mu_);
    if (queue_.size() == 0) return;  // stopping, and nothing left to run
    auto popped = queue_.Pop(clock_->NowMonotonicMicros());
    if (!popped) continue;
    queued_.fetch_sub(1, std::memory_order_relaxed);
    auto it = work_.find(popped->item.id);
    Work work = std::move(it->second);
    work_.erase(it);
    const bool more = queue_.size() > 0;
    lock.Unlock();
    if (more) cv_.Signal();  // another worker for what is left
    work(popped->expired);
    work = nullptr;  // what it holds goes before the lock is taken again
    lock.Lock();
  }
}

}  // namespace tenantkv::server
