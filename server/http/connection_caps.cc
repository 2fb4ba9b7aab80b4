#include "server/http/connection_caps.h"

namespace tenantkv::server {

ConnectionCaps::ConnectionCaps(size_t max_total, size_t max_per_address)
    : max_total_(max_total), max_per_address_(max_per_address) {}

ConnectionCaps::Verdict ConnectionCaps::Admit(const std::string& address) {
  MutexLock lock(mu_);
  if (open_ >= max_total_) return Verdict::kTotalCap;
  size_t& from = per_address_[address];
  if (from >= max_per_address_) return Verdict::kAddressCap;
  ++from;
  ++open_;
  return Verdict::kAdmitted;
}

void ConnectionCaps::Release(const std::string& address) {
  MutexLock lock(mu_);
  auto it = per_address_.find(address);
  if (it == per_address_.end()) return;
  if (--it->second == 0) per_address_.erase(it);
  --open_;
}

size_t ConnectionCaps::open() const {
  MutexLock lock(mu_);
  return open_;
}

size_t ConnectionCaps::open_from(const std::string& address) const {
  MutexLock lock(mu_);
  auto it = per_address_.find(address);
  return it == per_address_.end() ? 0 : it->second;
}

}  // namespace tenantkv::server
