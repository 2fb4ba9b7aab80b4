// UsageHistory: one tenant's usage over the last day, for its charts and
// its storage burn rate. Two sparse rings of buckets: one a minute long for
// the last hour (at most 60), one ten minutes long for the last day (at most
// 144). A bucket exists only for a minute (ten minutes) in which the tenant
// made a call: it holds the calls, the bytes charged, the stored bytes after
// the last call, and per throttle reason the calls refused for it (an array
// allocated only in a bucket that has any).
//
// Memory of one active tenant: 60 + 144 buckets of 40 bytes (8,160), 64
// bytes of throttle counters in each bucket that has any, and the object
// (112 bytes, 144 with its shared_ptr block). Measured with glibc malloc: a
// tenant calling every minute for a day holds 9.7 KB; with a throttled call
// in every minute too (the worst case) 26 KB. An idle tenant holds an empty
// shared_ptr (16 bytes in Tenant): UsageHistoryStore frees its history once
// nothing is left in the day. Its record is at most about 2.5 KB.
//
// Throttle reasons are small indices (< kMaxThrottleReasons) chosen by the
// caller; the persisted encoding names them (`reason_names`), so a reordering
// of the caller's reasons never mixes counts up. Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crypto/mutex.h"
#include "crypto/status.h"

namespace tenantkv::engine {

// What one finished call adds to its tenant's history.
struct UsageEvent {
  uint64_t read_bytes = 0;
  uint64_t write_bytes = 0;
  int64_t storage_bytes = 0;  // the tenant's logical bytes after the call
  int throttle = -1;          // the reason it was refused for, or -1
};

enum class UsageWindow { kHour, kDay };

// One window of a history, oldest point first; the last point is the
// current, partial bucket.
struct UsageSeries {
  int64_t start_ms = 0;  // start of the first bucket
  int64_t step_ms = 0;
  size_t points = 0;
  std::vector<uint64_t> requests;
  std::vector<uint64_t> read_bytes;
  std::vector<uint64_t> write_bytes;
  std::vector<int64_t> storage_bytes;
  // (reason, counts) for each reason with any refusal in the window.
  std::vector<std::pair<int, std::vector<uint64_t>>> throttled;
  int64_t end_ms() const { return start_ms + step_ms * static_cast<int64_t>(points); }
};

class UsageHistory {
 public:
  static constexpr int64_t kMinuteMs = 60'000;
  static constexpr int64_t kTenMinutesMs = 600'000;
  static constexpr size_t kMinutePoints = 60;      // the hour
  static constexpr size_t kTenMinutePoints = 144;  // the day
  static constexpr size_t kMaxThrottleReasons = 16;

  struct Bucket {
    uint32_t index = 0;  // unix time / the ring's step
    uint32_t requests = 0;  // saturates
    uint64_t read_bytes = 0;
    uint64_t write_bytes = 0;
    int64_t storage_bytes = 0;  // after the bucket's last call
    std::unique_ptr<std::array<uint32_t, kMaxThrottleReasons>> throttled;  // null until one
  };

  UsageHistory() = default;
  UsageHistory(const UsageHistory&) = delete;
  UsageHistory& operator=(const UsageHistory&) = delete;

  // Adds one call at `now_ms`, and drops what left the window. False (and
  // nothing recorded) once retired: the caller then takes its tenant's
  // current history.
  bool Record(int64_t now_ms, const UsageEvent& e) EXCLUDES(mu_);
  // The window ending with the bucket of `now_ms`; `storage_bytes` is the
  // current value (the last point's).
  UsageSeries Series(UsageWindow w, int64_t now_ms, int64_t storage_bytes) const EXCLUDES(mu_);

  // Bytes per hour from the oldest minute of the last hour with a call to
  // `bytes` now (0 until that minute ended a minute ago).
  double BurnPerHour(int64_t now_ms, int64_t bytes) const EXCLUDES(mu_);
  // When `limit` is reached at the current burn rate; nullopt if not growing.
  std::optional<int64_t> ProjectedExhaustionMs(int64_t now_ms, int64_t bytes, int64_t limit) const;

  // --- Persistence (UsageHistoryStore) ---
  // Versioned binary encoding; `reason_names[i]` names reason i (reasons
  // beyond it are not written).
  std::string Encode(const std::vector<std::string>& reason_names) const EXCLUDES(mu_);
  std::string EncodeLocked(const std::vector<std::string>& reason_names) const REQUIRES(mu_);
  // A history from Encode's output, without what is out of the window at
  // `now_ms`; reasons are matched by name (unknown ones dropped).
  // DataLoss("usage_history_corrupt") for anything malformed.
  static Result<std::unique_ptr<UsageHistory>> Decode(std::string_view data,
                                                      const std::vector<std::string>& reason_names,
                                                      int64_t now_ms);

  // Held while a flush writes the history, so a delete of its tenant can
  // wait for a write in progress (UsageHistoryStore::Barrier).
  Mutex& mutex() RETURN_CAPABILITY(mu_) { return mu_; }
  // Changed since the last MarkClean.
  bool dirty() const REQUIRES(mu_) { return dirty_; }
  void MarkClean() REQUIRES(mu_) { dirty_ = false; }
  void MarkDirty() REQUIRES(mu_) { dirty_ = true; }
  // Nothing in the day before `now_ms` (so nothing worth keeping).
  bool Empty(int64_t now_ms) REQUIRES(mu_);
  // No call is recorded here any more (Record returns false).
  void Retire() REQUIRES(mu_) { retired_.store(true); }
  bool retired() const { return retired_.load(); }

  size_t minute_buckets() const EXCLUDES(mu_);
  size_t ten_minute_buckets() const EXCLUDES(mu_);

 private:
  struct Ring {
    std::vector<Bucket> buckets;  // ascending index, at most `cap`
    int64_t before = -1;          // stored bytes at the end of the newest dropped bucket (-1: none)
  };
  static void Add(Ring& ring, size_t cap, uint32_t index, const UsageEvent& e);
  static void Trim(Ring& ring, size_t cap, int64_t current);
  static void Fill(const Ring& ring, int64_t first, size_t n, int64_t storage_now, UsageSeries* out);
  void TrimAll(int64_t now_ms) REQUIRES(mu_);

  mutable Mutex mu_;
  Ring minutes_ GUARDED_BY(mu_);
  Ring ten_minutes_ GUARDED_BY(mu_);
  bool dirty_ GUARDED_BY(mu_) = false;
  std::atomic<bool> retired_{false};
};

}  // namespace tenantkv::engine
