// AuthBackoff: cheap refusal of a flood of failed authentications.
//
// Failed authentications (401: missing, garbled or unknown token) are
// counted per client address. After `fail_limit` failures within
// `window_us`, the address's further failures are answered 429
// auth_backoff (Retry-After) for `base_us`; the first failure after a
// refusal ends is answered 401 and starts the next refusal, twice as long
// as the last, up to `max_us`. The penalty level is forgotten when the
// address stays free of failures for a window after its last refusal ended.
//
// Why so:
// - It is consulted only for a request whose token already failed, so a
//   valid token is always served, from any address, however many failures
//   came from it. Tenants of one SaaS app reach the server from a few
//   shared app-server addresses: counting an address against valid tokens
//   would let one customer's stale key take every customer offline.
// - Guessing is defeated by entropy (256-bit secrets), not by delay: a guess
//   is checked before the count is, so the count slows no guesser. What it
//   does is answer a flood of bad tokens with a short 429 that tells a
//   misconfigured client to back off, and make the flood visible.
// - Nothing is counted per key id: anyone who has seen a key id could then
//   lock its owner out.
// - Deciding a failure's answer and counting it are one locked step, so
//   many connections failing at once get no more 401s than one would.
// - A success does not reset the count, so a client with a valid key of
//   its own cannot launder a flood between good requests.
//
// IPv6 clients are counted per /64 (one host usually owns a whole /64).
// Memory is bounded: at most `table_size` addresses are tracked; the least
// recently failing one is forgotten first. Thread-safe.
#pragma once

#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

#include "crypto/mutex.h"
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

  // One failed authentication from `remote_addr`, decided and counted in
  // one step: 0 = answer it as the failure it is (counted; it may start a
  // refusal of the next ones); else the address is being refused and this
  // failure is answered 429 (not counted): microseconds until that ends.
  int64_t RecordFailure(std::string_view remote_addr);
  // Microseconds the address's failures are still refused for; 0 = none
  // (for tests: requests consult RecordFailure only).
  int64_t RefusedForMicros(std::string_view remote_addr) const;

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
  // Taken only for failed authentications (and RefusedForMicros), never on
  // the path of a valid token.
  mutable Mutex mu_;
  Lru lru_ GUARDED_BY(mu_);  // most recent first
  std::unordered_map<std::string, Lru::iterator> index_ GUARDED_BY(mu_);
};

}  // namespace tenantkv::server
