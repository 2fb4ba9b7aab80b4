#include "server/auth/auth_backoff.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace tenantkv::server {

AuthBackoff::AuthBackoff(const AuthBackoffOptions& options, const engine::Clock* clock)
    : options_(options), clock_(clock) {}

std::string AuthBackoff::ClientKey(std::string_view remote_addr) {
  const std::string text(remote_addr);
  in6_addr a6{};
  if (inet_pton(AF_INET6, text.c_str(), &a6) != 1) return text;
  static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  char out[INET6_ADDRSTRLEN] = {0};
  if (std::memcmp(a6.s6_addr, kMapped, sizeof(kMapped)) == 0) {
    in_addr a4{};
    std::memcpy(&a4, a6.s6_addr + 12, 4);
    inet_ntop(AF_INET, &a4, out, sizeof(out));
    return out;
  }
  std::memset(a6.s6_addr + 8, 0, 8);
  inet_ntop(AF_INET6, &a6, out, sizeof(out));
  return std::string(out) + "/64";
}

int64_t AuthBackoff::RefusedForMicros(std::string_view remote_addr) const {
  if (options_.fail_limit == 0) return 0;
  const std::string key = ClientKey(remote_addr);
  const int64_t now = clock_->NowMonotonicMicros();
  MutexLock lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) return 0;
  return std::max<int64_t>(0, it->second->blocked_until - now);
}

int64_t AuthBackoff::RecordFailure(std::string_view remote_addr) {
  if (options_.fail_limit == 0) return 0;
  std::string key = ClientKey(remote_addr);
  const int64_t now = clock_->NowMonotonicMicros();
  MutexLock lock(mu_);
  auto it = index_.find(key);
  if (it != index_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);
  } else {
    if (lru_.size() >= options_.table_size) {
      index_.erase(lru_.back().key);
      lru_.pop_back();
    }
    lru_.push_front(Entry{key, 0, now, 0, 0});
    index_.emplace(std::move(key), lru_.begin());
  }
  Entry& e = lru_.front();
  if (now < e.blocked_until) return e.blocked_until - now;
  if (e.level > 0 && now >= e.blocked_until + options_.window_us) e.level = 0;  // quiet long enough
  if (now - e.window_start >= options_.window_us) {
    e.failures = 0;
    e.window_start = now;
  }
  ++e.failures;
  // Once refused, each further failure refuses again, for twice as long.
  if (e.level == 0 && e.failures < options_.fail_limit) return 0;
  ++e.level;
  int64_t period = options_.base_us;
  for (int i = 1; i < e.level && period < options_.max_us; ++i) period *= 2;
  period = std::min(options_.max_us, period);
  e.blocked_until = now + period;
  e.failures = 0;
  e.window_start = now;
  return 0;
}

size_t AuthBackoff::tracked() const {
  MutexLock lock(mu_);
  return lru_.size();
}

}  // namespace tenantkv::server
