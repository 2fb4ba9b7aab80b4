// RFC 3339 timestamps relative to the real clock, for tests that send
// "starts_at", "ends_at" or "expires_at" to a real server.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>

namespace tenantkv::testing {

// Now + `seconds`, in UTC, to the second ("2026-12-06T17:00:00Z").
inline std::string Rfc3339InSeconds(int64_t seconds) {
  const std::time_t t = std::time(nullptr) + static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace tenantkv::testing
