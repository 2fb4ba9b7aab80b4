// FairQueue: the pick order of the storage scheduler, without threads.
//
// Per-tenant FIFO queues. Pop() serves, in this order:
//  1. reservation: among tenants whose head is due under their
//     reserved_ops_per_sec (mClock-style tag R = max(R_prev + 1/r, arrival)
//     <= now), the smallest tag;
//  2. weight: otherwise start-time fair queuing over virtual time — each
//     head's start tag S = max(virtual time, tenant's last finish), finish
//     F = S + cost / weight; the smallest S is served and virtual time
//     moves to it.
// It never idles while work waits (work-conserving). A popped item that
// waited longer than its tenant's max_queue is returned marked expired.
// Not thread-safe: FairScheduler guards it.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>

namespace tenantkv::engine {

struct SchedParams {
  double weight = 1;                 // > 0
  double reserved_ops_per_sec = 0;   // 0 = no reservation
  int64_t max_queue_us = 1'000'000;  // latency budget in the queue
  size_t max_queue_len = 1024;       // bounded queue per tenant
};

class FairQueue {
 public:
  struct Item {
    uint64_t id = 0;
    double cost = 1;
    int64_t enqueued_us = 0;
  };
  struct Popped {
    std::string tenant;
    Item item;
    bool expired = false;       // waited past max_queue_us: do not run it
    bool by_reservation = false;
  };

  // False if the tenant's queue is full. `p` replaces the tenant's params.
  bool Enqueue(const std::string& tenant, const SchedParams& p, const Item& item, int64_t now_us);
  std::optional<Popped> Pop(int64_t now_us);
  size_t size() const { return size_; }
  size_t QueueLength(const std::string& tenant) const;

 private:
  struct TenantQueue {
    SchedParams params;
    std::deque<Item> items;
    double start = 0;        // start tag of the head (valid when non-empty)
    double last_finish = 0;  // finish tag of the last served item
    double r_prev = -1e300;  // reservation tag of the last reservation-served item (seconds)
  };
  double ReservationTag(const TenantQueue& q) const;

  std::map<std::string, TenantQueue> tenants_;
  double vtime_ = 0;
  size_t size_ = 0;
};

}  // namespace tenantkv::engine
