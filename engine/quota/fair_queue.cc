#include "engine/quota/fair_queue.h"

#include <algorithm>

namespace tenantkv::engine {

SchedParams SchedParamsOf(const Quota& q) {
  SchedParams p;
  p.weight = static_cast<double>(q.weight);
  p.reserved_ops_per_sec = static_cast<double>(q.reserved_ops_per_sec);
  p.max_queue_us = q.max_queue_ms * 1000;
  p.max_queue_len = static_cast<size_t>(std::max<int64_t>(1, q.max_concurrent));
  return p;
}

bool FairQueue::Enqueue(const std::string& tenant, const SchedParams& p, const Item& item, int64_t now_us) {
  auto [it, fresh] = tenants_.try_emplace(tenant);
  (void)fresh;
  const std::string& name = it->first;
  TenantQueue& q = it->second;
  if (q.items.empty()) {
    idle_.erase({q.last_finish, &name});
    idle_reserved_.erase({ReservationDue(q), &name});
    q.params = p;
    if (q.items.size() >= p.max_queue_len) {  // a length of 0 takes nothing
      Retire(it, static_cast<double>(now_us) / 1e6);
      return false;
    }
    q.start = std::max(vtime_, q.last_finish);
  } else {
    // New params may change the reservation tag: re-indexed under them.
    RemoveFromIndexes(name, q);
    q.params = p;
    if (q.items.size() >= p.max_queue_len) {
      AddToIndexes(name, q);
      return false;
    }
  }
  q.items.push_back(item);
  ++size_;
  AddToIndexes(name, q);
  return true;
}

double FairQueue::ReservationTag(const TenantQueue& q) {
  const double arrival = static_cast<double>(q.items.front().enqueued_us) / 1e6;
  return std::max(ReservationDue(q), arrival);
}

void FairQueue::AddToIndexes(const std::string& name, const TenantQueue& q) {
  by_start_.insert({q.start, &name});
  if (q.params.reserved_ops_per_sec > 0) by_reservation_.insert({ReservationTag(q), &name});
}

void FairQueue::RemoveFromIndexes(const std::string& name, const TenantQueue& q) {
  by_start_.erase({q.start, &name});
  if (q.params.reserved_ops_per_sec > 0) by_reservation_.erase({ReservationTag(q), &name});
}

double FairQueue::ReservationDue(const TenantQueue& q) {
  if (q.params.reserved_ops_per_sec <= 0) return -1e300;
  return q.r_prev + 1.0 / q.params.reserved_ops_per_sec;
}

void FairQueue::Retire(std::unordered_map<std::string, TenantQueue>::iterator it, double now_s) {
  const TenantQueue& q = it->second;
  const double due = ReservationDue(q);
  if (q.last_finish > vtime_) {
    idle_.insert({q.last_finish, &it->first});
  } else if (due > now_s) {
    idle_reserved_.insert({due, &it->first});
  } else {
    tenants_.erase(it);
  }
}

void FairQueue::DropIdle(double now_s) {
  while (!idle_.empty() && idle_.begin()->first <= vtime_) {
    auto it = tenants_.find(*idle_.begin()->second);
    idle_.erase(idle_.begin());
    Retire(it, now_s);  // dropped, or kept for its reservation
  }
  while (!idle_reserved_.empty() && idle_reserved_.begin()->first <= now_s) {
    const std::string* name = idle_reserved_.begin()->second;
    idle_reserved_.erase(idle_reserved_.begin());
    tenants_.erase(*name);
  }
}

std::optional<FairQueue::Popped> FairQueue::Pop(int64_t now_us) {
  if (size_ == 0) return std::nullopt;
  const double now_s = static_cast<double>(now_us) / 1e6;
  // 1. The reservation due first, if any is due; 2. else the smallest start tag.
  bool by_reservation = false;
  double reservation_tag = 0;
  const std::string* name = by_start_.begin()->second;
  if (!by_reservation_.empty() && by_reservation_.begin()->first <= now_s) {
    name = by_reservation_.begin()->second;
    reservation_tag = by_reservation_.begin()->first;
    by_reservation = true;
  }
  auto it = tenants_.find(*name);
  TenantQueue& q = it->second;
  RemoveFromIndexes(*name, q);
  Popped out;
  out.tenant = *name;
  out.item = q.items.front();
  out.by_reservation = by_reservation;
  out.expired = now_us - out.item.enqueued_us > q.params.max_queue_us;
  q.items.pop_front();
  --size_;
  if (by_reservation) {
    // Served from its floor: it does not spend its weighted share (mClock),
    // so its start tag and the virtual time stay as they are.
    q.r_prev = reservation_tag;
  } else {
    const double finish = q.start + out.item.cost / std::max(q.params.weight, 1e-9);
    vtime_ = std::max(vtime_, q.start);
    q.last_finish = finish;
    if (!q.items.empty()) q.start = finish;
  }
  max_finish_ = std::max(max_finish_, q.last_finish);
  if (q.items.empty()) {
    Retire(it, now_s);
  } else {
    AddToIndexes(*name, q);
  }
  // The end of a busy period: the virtual time moves to the largest finish
  // tag served (start-time fair queuing), so nobody carries a debt or a
  // credit into the next one.
  if (size_ == 0) vtime_ = std::max(vtime_, max_finish_);
  DropIdle(now_s);
  return out;
}

size_t FairQueue::QueueLength(const std::string& tenant) const {
  auto it = tenants_.find(tenant);
  return it == tenants_.end() ? 0 : it->second.items.size();
}

}  // namespace tenantkv::engine
