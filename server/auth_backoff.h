// AuthBackoff: brute-force protection for token authentication.
//
// Failed authentications (401: missing, garbled or unknown token) are
// counted per client address. After `fail_limit` failures within
// `window_us`, the address is refused (429 auth_backoff, Retry-After) for
// `base_us`; once it has been refused, every further failure refuses it
// again for twice as long as the last time, up to `max_us`. The penalty
// level is forgotten when the address stays free of failures for a window
// after its last refusal ended.
//
// Why so: the refusal is checked before the token is, so a refused address
// learns nothing about any token; a successful authentication does not reset
// the count, so an attacker holding one valid key of its own cannot launder
// guesses at other tokens between good requests. The price is that honest
// clients sharing an address with an attacker (NAT) are refused with it.
//
// IPv6 clients are counted per /64 (one host usually owns a whole /64).
// Memory is bounded: at most `table_size` addresses are tracked; the least
// recently failing one is forgotten first. Thread-safe.
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "engine/clock.h"

namespace tenantkv::server {

struct AuthBackoffOptions {
  size_t fail_limit = 20;                  // failures within the window before refusal; 0 = off
  int64_t window_us = 60'000'000;          // failure-counting window
  int64_t base_us = 2'000'000;             // first refusal period
  int64_t max_us = 600'000'000;            // longest refusal period
  size_t table_size = 65536;               // addresses tracked at most
};

class AuthBackoff {
 public:
  // `clock` must outlive this object.
  AuthBackoff(const AuthBackoffOptions& options, const engine::Clock* clock);

  // 0 if `remote_addr` may authenticate now, else microseconds until it may.
  int64_t RefusedForMicros(std::string_view remote_addr) const;
  // Counts one failed authentication from `remote_addr`.
  void RecordFailure(std::string_view remote_addr);

  // Addresses currently tracked (for tests and metrics).
  size_t tracked() const;

  // The address that failures are counted under: IPv4 as is, IPv6 by its
  // /64 prefix (IPv4-mapped IPv6 as the IPv4 address); unparsable text as is.
  static std::string ClientKey(std::string_view remote_addr);

 private:
  struct Entry {
    std::string key;
    uint32_t failures = 0;       // within the current window
    int64_t window_start = 0;    // monotonic µs
    int64_t blocked_until = 0;   // monotonic µs; 0 = never refused
    int level = 0;               // refusals so far: the period is base << (level - 1)
  };
  using Lru = std::list<Entry>;

  const AuthBackoffOptions options_;
  const engine::Clock* const clock_;
  // Shared for the per-request check, so one checker that the kernel has
  // descheduled (a refused connection runs at idle CPU priority) never
  // holds up the others; exclusive only to record a failure.
  mutable std::shared_mutex mu_;
  Lru lru_;                                             // GUARDED_BY(mu_), most recent first
  std::unordered_map<std::string, Lru::iterator> index_;  // GUARDED_BY(mu_)
};

}  // namespace tenantkv::server
