#include "server/api/rfc3339.h"

#include <cstdio>
#include <ctime>

namespace tenantkv::server {
namespace {

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// Leap years before year y, counted from any fixed origin: only
// differences are used.
int64_t LeapsBefore(int64_t y) { return FloorDiv(y - 1, 4) - FloorDiv(y - 1, 100) + FloorDiv(y - 1, 400); }

int DaysInMonth(int64_t y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Days from 1970-01-01 to y-m-d (proleptic Gregorian).
int64_t DaysSinceEpoch(int64_t y, int m, int d) {
  static constexpr int kBeforeMonth[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
  int64_t days = 365 * (y - 1970) + LeapsBefore(y) - LeapsBefore(1970);
  days += kBeforeMonth[m - 1] + (m > 2 && IsLeap(y) ? 1 : 0);
  return days + d - 1;
}

// Reads `n` digits at *pos as a number, advancing *pos.
std::optional<int> Digits(std::string_view s, size_t* pos, size_t n) {
  if (s.size() - *pos < n) return std::nullopt;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = s[*pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  return v;
}

bool Expect(std::string_view s, size_t* pos, char c) {
  if (*pos >= s.size() || s[*pos] != c) return false;
  ++*pos;
  return true;
}

bool ExpectEither(std::string_view s, size_t* pos, char upper) {
  return Expect(s, pos, upper) || Expect(s, pos, static_cast<char>(upper - 'A' + 'a'));
}

}  // namespace

std::string Rfc3339(int64_t unix_millis) {
  std::time_t secs = static_cast<std::time_t>(FloorDiv(unix_millis, 1000));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string Rfc3339Exact(int64_t unix_millis) {
  const int64_t ms = unix_millis - FloorDiv(unix_millis, 1000) * 1000;
  std::string out = Rfc3339(unix_millis);
  if (ms == 0) return out;
  char frac[8];
  std::snprintf(frac, sizeof(frac), ".%03d", static_cast<int>(ms));
  out.insert(out.size() - 1, frac);
  return out;
}

std::optional<int64_t> ParseRfc3339(std::string_view s) {
  size_t p = 0;
  const auto year = Digits(s, &p, 4);
  if (!year || !Expect(s, &p, '-')) return std::nullopt;
  const auto month = Digits(s, &p, 2);
  if (!month || *month < 1 || *month > 12 || !Expect(s, &p, '-')) return std::nullopt;
  const auto day = Digits(s, &p, 2);
  if (!day || *day < 1 || *day > DaysInMonth(*year, *month) || !ExpectEither(s, &p, 'T')) return std::nullopt;
  const auto hour = Digits(s, &p, 2);
  if (!hour || *hour > 23 || !Expect(s, &p, ':')) return std::nullopt;
  const auto minute = Digits(s, &p, 2);
  if (!minute || *minute > 59 || !Expect(s, &p, ':')) return std::nullopt;
  const auto second = Digits(s, &p, 2);
  if (!second || *second > 59) return std::nullopt;
  int millis = 0;
  if (Expect(s, &p, '.')) {
    size_t digits = 0;
    for (; p < s.size() && s[p] >= '0' && s[p] <= '9'; ++p, ++digits) {
      if (digits < 3) millis = millis * 10 + (s[p] - '0');
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 3; ++digits) millis *= 10;
  }
  int offset_minutes = 0;
  if (!ExpectEither(s, &p, 'Z')) {
    int sign = 0;
    if (Expect(s, &p, '+')) {
      sign = 1;
    } else if (Expect(s, &p, '-')) {
      sign = -1;
    } else {
      return std::nullopt;
    }
    const auto oh = Digits(s, &p, 2);
    if (!oh || *oh > 23 || !Expect(s, &p, ':')) return std::nullopt;
    const auto om = Digits(s, &p, 2);
    if (!om || *om > 59) return std::nullopt;
    offset_minutes = sign * (*oh * 60 + *om);
  }
  if (p != s.size()) return std::nullopt;
  const int64_t seconds = DaysSinceEpoch(*year, *month, *day) * 86400 + int64_t{*hour} * 3600 +
                          int64_t{*minute} * 60 + *second - int64_t{offset_minutes} * 60;
  return seconds * 1000 + millis;
}

}  // namespace tenantkv::server
