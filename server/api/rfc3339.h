// RFC 3339 timestamps: the ones the API writes, and the ones it reads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tenantkv::server {

// "2026-11-29T02:30:00Z" (UTC, second precision).
std::string Rfc3339(int64_t unix_millis);

// As Rfc3339, with the milliseconds ("2026-11-29T02:30:00.250Z") unless
// they are 0: for a time a client gave, so that it reads back as given.
std::string Rfc3339Exact(int64_t unix_millis);

// Unix milliseconds of an RFC 3339 date-time (section 5.6):
// YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM), 'T' and 'Z' in either
// case, a day that exists in its month, an offset within ±23:59. Digits of
// the fraction past milliseconds are dropped. A leap second (:60) is
// refused, as Unix time has none; so is anything around or inside it
// (spaces, a missing offset, a date alone). nullopt when refused.
std::optional<int64_t> ParseRfc3339(std::string_view text);

}  // namespace tenantkv::server
