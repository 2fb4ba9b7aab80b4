// RequestWorkers: the threads that run the API's handlers, off the HTTP
// front's I/O threads, taking ready requests in weighted-fair order by
// tenant (engine/quota/fair_queue.h: reservations first, then weights).
//
// Storage calls, fsync group commits, long scans and PKCS#11 calls can
// block; on an I/O thread they would stall every connection it serves.
// Here they block a worker only, and a flooding tenant's backlog waits for
// its share of the workers behind everyone else's, however many
// connections it opens. Thread-safe.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "crypto/mutex.h"
#include "engine/clock.h"
#include "engine/quota/fair_queue.h"

namespace tenantkv::server {

class RequestWorkers {
 public:
  // Runs work given with `expired` false, or true when it waited past its
  // tenant's max_queue_us (it must then only answer the refusal).
  using Work = std::function<void(bool expired)>;

  // `clock` must outlive the workers. `threads` >= 1.
  RequestWorkers(size_t threads, const engine::Clock* clock);
  // Runs what is still queued, then joins: every Work is called once.
  ~RequestWorkers();

  // Queues `work` in `tenant`'s queue; false (nothing queued) when that
  // queue holds params.max_queue_len items already.
  bool Submit(const std::string& tenant, const engine::SchedParams& params, double cost, Work work);

  size_t threads() const { return threads_.size(); }
  // Nothing queued now (a hint: it may change at once).
  bool Idle() const { return queued_.load(std::memory_order_relaxed) == 0; }

 private:
  void Loop();

  const engine::Clock* const clock_;
  Mutex mu_;
  CondVar cv_;
  engine::FairQueue queue_ GUARDED_BY(mu_);
  std::map<uint64_t, Work> work_ GUARDED_BY(mu_);
  uint64_t next_id_ GUARDED_BY(mu_) = 1;
  bool stopping_ GUARDED_BY(mu_) = false;
  bool spinning_ GUARDED_BY(mu_) = false;  // a worker is polling queued_ before it sleeps
  std::atomic<size_t> queued_{0};           // queue_.size(), readable without mu_
  static constexpr int kSpins = 64;
  std::vector<std::thread> threads_;
};

}  // namespace tenantkv::server
