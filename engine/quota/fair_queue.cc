#include "engine/quota/fair_queue.h"

#include <algorithm>

namespace tenantkv::engine {

bool FairQueue::Enqueue(const std::string& tenant, const SchedParams& p, const Item& item, int64_t now_us) {
  (void)now_us;
  TenantQueue& q = tenants_[tenant];
  q.params = p;
  if (q.items.size() >= p.max_queue_len) return false;
  if (q.items.empty()) q.start = std::max(vtime_, q.last_finish);
  q.items.push_back(item);
  ++size_;
  return true;
}

double FairQueue::ReservationTag(const TenantQueue& q) const {
  const double arrival = static_cast<double>(q.items.front().enqueued_us) / 1e6;
  return std::max(q.r_prev + 1.0 / q.params.reserved_ops_per_sec, arrival);
}

std::optional<FairQueue::Popped> FairQueue::Pop(int64_t now_us) {
  if (size_ == 0) return std::nullopt;
  const double now_s = static_cast<double>(now_us) / 1e6;
  TenantQueue* best = nullptr;
  const std::string* best_name = nullptr;
  double best_tag = 0;
  bool by_reservation = false;
  // 1. Reservations that are due.
  for (auto& [name, q] : tenants_) {
    if (q.items.empty() || q.params.reserved_ops_per_sec <= 0) continue;
    const double r = ReservationTag(q);
    if (r <= now_s && (best == nullptr || r < best_tag)) {
      best = &q;
      best_name = &name;
      best_tag = r;
      by_reservation = true;
    }
  }
  // 2. Weighted fair share.
  if (best == nullptr) {
    for (auto& [name, q] : tenants_) {
      if (q.items.empty()) continue;
      if (best == nullptr || q.start < best_tag) {
        best = &q;
        best_name = &name;
        best_tag = q.start;
      }
    }
  }
  TenantQueue& q = *best;
  Popped out;
  out.tenant = *best_name;
  out.item = q.items.front();
  out.by_reservation = by_reservation;
  out.expired = now_us - out.item.enqueued_us > q.params.max_queue_us;
  q.items.pop_front();
  --size_;
  if (by_reservation) {
    // Served from its floor: it does not spend its weighted share (mClock),
    // so its start tag and the virtual time stay as they are.
    q.r_prev = best_tag;
  } else {
    const double finish = q.start + out.item.cost / std::max(q.params.weight, 1e-9);
    vtime_ = std::max(vtime_, q.start);
    q.last_finish = finish;
    if (!q.items.empty()) q.start = finish;
  }
  if (q.items.empty() && q.params.reserved_ops_per_sec <= 0 && tenants_.size() > 4096) {
    tenants_.erase(out.tenant);  // keep the map small with many idle tenants
  }
  return out;
}

size_t FairQueue::QueueLength(const std::string& tenant) const {
  auto it = tenants_.find(tenant);
  return it == tenants_.end() ? 0 : it->second.items.size();
}

}  // namespace tenantkv::engine
