// FairQueue: the pick order of the storage scheduler, without threads.
//
// Per-tenant FIFO queues. Pop() serves, in this order:
//  1. reservation: among tenants whose head is due under their
//     reserved_ops_per_sec (mClock-style tag R = max(R_prev + 1/r, arrival)
//     <= now), the smallest tag;
//  2. weight: otherwise start-time fair queuing over virtual time — each
//     head's start tag S = max(virtual time, tenant's last finish), finish
//     F = S + cost / weight; the smallest S is served and virtual time
//     moves to it; when no work is left, virtual time moves to the largest
//     finish tag served.
// It never idles while work waits (work-conserving). A popped item that
// waited longer than its tenant's max_queue is returned marked expired.
//
// Enqueue and Pop cost O(log n) in the tenants with work waiting, however
// many tenants the node has: the non-empty queues are kept ordered by
// their start tags and, for those with a reservation, by their
// reservation tags. An emptied queue is kept while its tags still matter:
// its last finish tag ahead of the virtual time (what it was served counts
// against its share when it comes back soon), or its reservation's next
// due time ahead of the clock (it cannot be served from its reservation
// faster than reserved by emptying its queue each time). Once both have
// passed it is dropped, so only recently served tenants take memory.
// Not thread-safe: FairScheduler guards it.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>

#include "engine/quota/quota.h"

namespace tenantkv::engine {

struct SchedParams {
  double weight = 1;                 // > 0
  double reserved_ops_per_sec = 0;   // 0 = no reservation
  int64_t max_queue_us = 1'000'000;  // latency budget in the queue
  size_t max_queue_len = 1024;       // bounded queue per tenant
};

// A tenant's parameters under quota `q`, the same for its requests and for
// the background work done for it (re-encryption, a tier move's copy):
// that work is paid from its share, and its queue keeps one set.
SchedParams SchedParamsOf(const Quota& q);

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
  // Tenants it holds state for: those with work waiting and those whose
  // tags still matter (see above).
  size_t tenants_tracked() const { return tenants_.size(); }

 private:
  struct TenantQueue {
    SchedParams params;
    std::deque<Item> items;
    double start = 0;        // start tag of the head (valid when non-empty)
    double last_finish = 0;  // finish tag of the last served item
    double r_prev = -1e300;  // reservation tag of the last reservation-served item (seconds)
  };
  // (tag, tenant name), ties to the smaller name. The name points at the
  // key of the tenant's entry in tenants_, which stays put while it lives.
  using Tagged = std::pair<double, const std::string*>;
  struct TagOrder {
    bool operator()(const Tagged& a, const Tagged& b) const {
      return a.first != b.first ? a.first < b.first : *a.second < *b.second;
    }
  };
  using TagIndex = std::set<Tagged, TagOrder>;

  static double ReservationTag(const TenantQueue& q);
  // A non-empty queue into the indexes, under its current tags; and out
  // again, before anything its tags depend on changes.
  void AddToIndexes(const std::string& name, const TenantQueue& q);
  void RemoveFromIndexes(const std::string& name, const TenantQueue& q);
  // When its reservation may next serve it (seconds); -inf without one.
  static double ReservationDue(const TenantQueue& q);
  // An emptied queue: dropped if its tags no longer matter, else kept idle.
  void Retire(std::unordered_map<std::string, TenantQueue>::iterator it, double now_s);
  // Drops the idle queues whose tags the virtual time and the clock passed.
  void DropIdle(double now_s);

  std::unordered_map<std::string, TenantQueue> tenants_;
  TagIndex by_start_;        // non-empty queues, by start tag
  TagIndex by_reservation_;  // non-empty queues with a reservation, by reservation tag
  TagIndex idle_;            // empty queues kept for their last finish, by it
  TagIndex idle_reserved_;   // empty queues kept for their reservation only, by its due time
  double vtime_ = 0;
  double max_finish_ = 0;  // the largest finish tag served
  size_t size_ = 0;
};

}  // namespace tenantkv::engine
