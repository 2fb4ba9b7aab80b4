#include "engine/quota/token_bucket.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace tenantkv::engine {

TokenBucket::TokenBucket(double rate_per_sec, double capacity, int64_t now_us)
    : rate_(rate_per_sec), capacity_(capacity), tokens_(capacity), last_us_(now_us) {}

void TokenBucket::Refill(int64_t now_us) {
  if (now_us > last_us_) {
    tokens_ = std::min(capacity_, tokens_ + rate_ * static_cast<double>(now_us - last_us_) / 1e6);
    last_us_ = now_us;
  }
}

void TokenBucket::Reset(double rate_per_sec, double capacity, int64_t now_us) {
  MutexLock lock(mu_);
  rate_ = rate_per_sec;
  capacity_ = capacity;
  tokens_ = capacity;
  last_us_ = now_us;
}

void TokenBucket::Reconfigure(double rate_per_sec, double capacity, int64_t now_us) {
  MutexLock lock(mu_);
  Refill(now_us);
  rate_ = rate_per_sec;
  capacity_ = capacity;
  tokens_ = std::min(tokens_, capacity_);
}

bool TokenBucket::TryTake(double n, int64_t now_us) {
  MutexLock lock(mu_);
  Refill(now_us);
  if (n > capacity_ || tokens_ < n) return false;
  tokens_ -= n;
  return true;
}

void TokenBucket::Charge(double n, int64_t now_us) {
  MutexLock lock(mu_);
  Refill(now_us);
  tokens_ = std::min(capacity_, tokens_ - n);  // a refund never overfills
}

double TokenBucket::Available(int64_t now_us) {
  MutexLock lock(mu_);
  Refill(now_us);
  return tokens_;
}

int64_t TokenBucket::MicrosUntil(double n, int64_t now_us) {
  MutexLock lock(mu_);
  Refill(now_us);
  if (n > capacity_) return INT64_MAX;
  const double need = n - tokens_;
  if (need <= 0) return 0;
  if (rate_ <= 0) return INT64_MAX;
  return static_cast<int64_t>(std::ceil(need / rate_ * 1e6));
}

double TokenBucket::rate() const {
  MutexLock lock(mu_);
  return rate_;
}

double TokenBucket::capacity() const {
  MutexLock lock(mu_);
  return capacity_;
}

}  // namespace tenantkv::engine
