#include "engine/quota/usage_history.h"

#include <algorithm>
#include <limits>

namespace tenantkv::engine {

namespace {

// Encoding, version 1: "UH" 0x01, then unsigned LEB128 varints:
//   count of reason names, each (length, bytes);
//   per ring (minutes, then ten minutes): before + 1 (0 = none), count,
//   then per bucket: index, requests, read bytes, written bytes,
//   zigzag(stored bytes), count of throttle entries, each (name, count).
constexpr char kMagic0 = 'U';
constexpr char kMagic1 = 'H';
constexpr char kVersion = 1;

void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

uint64_t ZigZag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool Varint(uint64_t* v) {
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) return false;
      const auto byte = static_cast<uint8_t>(data_[pos_++]);
      if (shift == 63 && byte > 1) return false;  // past 64 bits
      *v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return false;
  }
  bool Bytes(size_t n, std::string_view* out) {
    if (data_.size() - pos_ < n) return false;
    *out = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool done() const { return pos_ == data_.size(); }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

Status Corrupt(const std::string& what) {
  return Status::DataLoss("usage history record is malformed: " + what, "usage_history_corrupt");
}

uint32_t SaturatingAdd(uint32_t a, uint64_t b) {
  const uint64_t sum = uint64_t{a} + b;
  return sum > std::numeric_limits<uint32_t>::max() ? std::numeric_limits<uint32_t>::max()
                                                    : static_cast<uint32_t>(sum);
}

int64_t IndexOf(int64_t ms, int64_t step) { return ms < 0 ? 0 : ms / step; }

}  // namespace

void UsageHistory::Add(Ring& ring, size_t cap, uint32_t index, const UsageEvent& e) {
  std::vector<Bucket>& b = ring.buckets;
  // A clock that stepped back adds to the newest bucket.
  if (b.empty() || b.back().index < index) {
    if (b.size() == b.capacity()) b.reserve(std::min(cap, std::max<size_t>(4, b.capacity() * 2)));
    b.emplace_back();
    b.back().index = index;
  }
  Bucket& at = b.back();
  at.requests = SaturatingAdd(at.requests, 1);
  at.read_bytes += e.read_bytes;
  at.write_bytes += e.write_bytes;
  at.storage_bytes = e.storage_bytes;
  if (e.throttle >= 0 && static_cast<size_t>(e.throttle) < kMaxThrottleReasons) {
    if (!at.throttled) at.throttled = std::make_unique<std::array<uint32_t, kMaxThrottleReasons>>();
    auto& counter = (*at.throttled)[static_cast<size_t>(e.throttle)];
    counter = SaturatingAdd(counter, 1);
  }
}

// Drops the buckets out of the `cap` newest indices ending at `current`.
void UsageHistory::Trim(Ring& ring, size_t cap, int64_t current) {
  std::vector<Bucket>& b = ring.buckets;
  const int64_t first = current - static_cast<int64_t>(cap) + 1;
  size_t drop = 0;
  while (drop < b.size() && static_cast<int64_t>(b[drop].index) < first) ++drop;
  // Never more than `cap` even if the clock stepped back.
  if (b.size() - drop > cap) drop = b.size() - cap;
  if (drop == 0) return;
  ring.before = b[drop - 1].storage_bytes;
  b.erase(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(drop));
}

void UsageHistory::TrimAll(int64_t now_ms) {
  Trim(minutes_, kMinutePoints, IndexOf(now_ms, kMinuteMs));
  Trim(ten_minutes_, kTenMinutePoints, IndexOf(now_ms, kTenMinutesMs));
}

bool UsageHistory::Record(int64_t now_ms, const UsageEvent& e) {
  MutexLock lock(mu_);
  if (retired_.load()) return false;
  TrimAll(now_ms);
  Add(minutes_, kMinutePoints, static_cast<uint32_t>(IndexOf(now_ms, kMinuteMs)), e);
  Add(ten_minutes_, kTenMinutePoints, static_cast<uint32_t>(IndexOf(now_ms, kTenMinutesMs)), e);
  dirty_ = true;
  return true;
}

bool UsageHistory::Empty(int64_t now_ms) {
  TrimAll(now_ms);
  return ten_minutes_.buckets.empty() && minutes_.buckets.empty();
}

// Points first .. first+n-1 of `ring`. Stored bytes carry forward from the
// newest earlier bucket (or the one dropped last); before any bucket is
// known they take the first known value, as stored bytes change only by
// the tenant's calls; the last point is `storage_now`.
void UsageHistory::Fill(const Ring& ring, int64_t first, size_t n, int64_t storage_now, UsageSeries* out) {
  out->requests.assign(n, 0);
  out->read_bytes.assign(n, 0);
  out->write_bytes.assign(n, 0);
  out->storage_bytes.assign(n, 0);
  std::array<std::vector<uint64_t>, kMaxThrottleReasons> throttled;
  int64_t carried = ring.before;
  const Bucket* first_in_window = nullptr;
  for (const Bucket& b : ring.buckets) {
    const int64_t at = static_cast<int64_t>(b.index) - first;
    if (at < 0) {
      carried = b.storage_bytes;
      continue;
    }
    if (at >= static_cast<int64_t>(n)) break;  // ahead of the clock
    if (first_in_window == nullptr) first_in_window = &b;
    const auto i = static_cast<size_t>(at);
    out->requests[i] = b.requests;
    out->read_bytes[i] = b.read_bytes;
    out->write_bytes[i] = b.write_bytes;
    if (b.throttled) {
      for (size_t r = 0; r < kMaxThrottleReasons; ++r) {
        if ((*b.throttled)[r] == 0) continue;
        if (throttled[r].empty()) throttled[r].assign(n, 0);
        throttled[r][i] = (*b.throttled)[r];
      }
    }
  }
  if (carried < 0) carried = first_in_window != nullptr ? first_in_window->storage_bytes : storage_now;
  auto next = ring.buckets.begin();
  while (next != ring.buckets.end() && static_cast<int64_t>(next->index) < first) ++next;
  for (size_t i = 0; i < n; ++i) {
    if (next != ring.buckets.end() && static_cast<int64_t>(next->index) == first + static_cast<int64_t>(i)) {
      carried = next->storage_bytes;
      ++next;
    }
    out->storage_bytes[i] = carried;
  }
  if (n > 0) out->storage_bytes[n - 1] = storage_now;
  for (size_t r = 0; r < kMaxThrottleReasons; ++r) {
    if (!throttled[r].empty()) out->throttled.emplace_back(static_cast<int>(r), std::move(throttled[r]));
  }
}

UsageSeries UsageHistory::Series(UsageWindow w, int64_t now_ms, int64_t storage_bytes) const {
  const bool hour = w == UsageWindow::kHour;
  UsageSeries out;
  out.step_ms = hour ? kMinuteMs : kTenMinutesMs;
  out.points = hour ? kMinutePoints : kTenMinutePoints;
  const int64_t first = IndexOf(now_ms, out.step_ms) - static_cast<int64_t>(out.points) + 1;
  out.start_ms = first * out.step_ms;
  MutexLock lock(mu_);
  Fill(hour ? minutes_ : ten_minutes_, first, out.points, storage_bytes, &out);
  return out;
}

double UsageHistory::BurnPerHour(int64_t now_ms, int64_t bytes) const {
  MutexLock lock(mu_);
  const int64_t first = IndexOf(now_ms, kMinuteMs) - static_cast<int64_t>(kMinutePoints) + 1;
  for (const Bucket& b : minutes_.buckets) {
    if (static_cast<int64_t>(b.index) < first) continue;
    const int64_t at = std::min<int64_t>(now_ms, (static_cast<int64_t>(b.index) + 1) * kMinuteMs);
    const int64_t elapsed = now_ms - at;
    if (elapsed < kMinuteMs) return 0;
    return static_cast<double>(bytes - b.storage_bytes) * 3'600'000.0 / static_cast<double>(elapsed);
  }
  return 0;
}

std::optional<int64_t> UsageHistory::ProjectedExhaustionMs(int64_t now_ms, int64_t bytes,
                                                           int64_t limit) const {
  const double rate = BurnPerHour(now_ms, bytes);
  if (rate <= 0) return std::nullopt;
  if (bytes >= limit) return now_ms;
  return now_ms + static_cast<int64_t>(static_cast<double>(limit - bytes) / rate * 3'600'000.0);
}

size_t UsageHistory::minute_buckets() const {
  MutexLock lock(mu_);
  return minutes_.buckets.size();
}

size_t UsageHistory::ten_minute_buckets() const {
  MutexLock lock(mu_);
  return ten_minutes_.buckets.size();
}

std::string UsageHistory::Encode(const std::vector<std::string>& reason_names) const {
  MutexLock lock(mu_);
  return EncodeLocked(reason_names);
}

std::string UsageHistory::EncodeLocked(const std::vector<std::string>& reason_names) const {
  const size_t reasons = std::min(reason_names.size(), kMaxThrottleReasons);
  std::string out;
  out.reserve(64);
  out.push_back(kMagic0);
  out.push_back(kMagic1);
  out.push_back(kVersion);
  PutVarint(out, reasons);
  for (size_t r = 0; r < reasons; ++r) {
    PutVarint(out, reason_names[r].size());
    out += reason_names[r];
  }
  for (const Ring* ring : {&minutes_, &ten_minutes_}) {
    PutVarint(out, ring->before < 0 ? 0 : static_cast<uint64_t>(ring->before) + 1);
    PutVarint(out, ring->buckets.size());
    for (const Bucket& b : ring->buckets) {
      PutVarint(out, b.index);
      PutVarint(out, b.requests);
      PutVarint(out, b.read_bytes);
      PutVarint(out, b.write_bytes);
      PutVarint(out, ZigZag(b.storage_bytes));
      size_t entries = 0;
      for (size_t r = 0; b.throttled && r < reasons; ++r) entries += (*b.throttled)[r] != 0 ? 1 : 0;
      PutVarint(out, entries);
      for (size_t r = 0; b.throttled && r < reasons; ++r) {
        if ((*b.throttled)[r] == 0) continue;
        PutVarint(out, r);
        PutVarint(out, (*b.throttled)[r]);
      }
    }
  }
  return out;
}

Result<std::unique_ptr<UsageHistory>> UsageHistory::Decode(std::string_view data,
                                                           const std::vector<std::string>& reason_names,
                                                           int64_t now_ms) {
  if (data.size() < 3 || data[0] != kMagic0 || data[1] != kMagic1) return Corrupt("bad header");
  if (data[2] != kVersion) return Corrupt("unknown version " + std::to_string(static_cast<int>(data[2])));
  Reader in(data.substr(3));
  uint64_t names = 0;
  if (!in.Varint(&names) || names > kMaxThrottleReasons) return Corrupt("bad reason count");
  // Record's reason index -> ours (-1: a reason this build does not know).
  std::vector<int> reason_of;
  for (uint64_t i = 0; i < names; ++i) {
    uint64_t len = 0;
    std::string_view name;
    if (!in.Varint(&len) || len > 64 || !in.Bytes(static_cast<size_t>(len), &name)) return Corrupt("bad reason name");
    const auto it = std::find(reason_names.begin(), reason_names.end(), name);
    const auto ours = static_cast<size_t>(it - reason_names.begin());
    reason_of.push_back(it == reason_names.end() || ours >= kMaxThrottleReasons ? -1 : static_cast<int>(ours));
  }
  auto h = std::make_unique<UsageHistory>();
  MutexLock lock(h->mu_);
  Ring* rings[2] = {&h->minutes_, &h->ten_minutes_};
  const size_t caps[2] = {kMinutePoints, kTenMinutePoints};
  for (int k = 0; k < 2; ++k) {
    Ring& ring = *rings[k];
    uint64_t before = 0;
    uint64_t count = 0;
    if (!in.Varint(&before) || !in.Varint(&count) || count > caps[k]) return Corrupt("bad ring header");
    if (before > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return Corrupt("bad stored bytes");
    ring.before = static_cast<int64_t>(before) - 1;
    ring.buckets.reserve(static_cast<size_t>(count));
    for (uint64_t i = 0; i < count; ++i) {
      uint64_t index = 0, requests = 0, read = 0, written = 0, stored = 0, entries = 0;
      if (!in.Varint(&index) || !in.Varint(&requests) || !in.Varint(&read) || !in.Varint(&written) ||
          !in.Varint(&stored) || !in.Varint(&entries)) {
        return Corrupt("truncated bucket");
      }
      if (index > std::numeric_limits<uint32_t>::max() || requests > std::numeric_limits<uint32_t>::max() ||
          entries > names) {
        return Corrupt("bucket field out of range");
      }
      if (!ring.buckets.empty() && ring.buckets.back().index >= index) return Corrupt("buckets out of order");
      Bucket b;
      b.index = static_cast<uint32_t>(index);
      b.requests = static_cast<uint32_t>(requests);
      b.read_bytes = read;
      b.write_bytes = written;
      b.storage_bytes = UnZigZag(stored);
      for (uint64_t j = 0; j < entries; ++j) {
        uint64_t reason = 0, n = 0;
        if (!in.Varint(&reason) || !in.Varint(&n) || reason >= names || n > std::numeric_limits<uint32_t>::max()) {
          return Corrupt("bad throttle entry");
        }
        const int ours = reason_of[static_cast<size_t>(reason)];
        if (ours < 0 || n == 0) continue;
        if (!b.throttled) b.throttled = std::make_unique<std::array<uint32_t, kMaxThrottleReasons>>();
        (*b.throttled)[static_cast<size_t>(ours)] = static_cast<uint32_t>(n);
      }
      ring.buckets.push_back(std::move(b));
    }
  }
  if (!in.done()) return Corrupt("trailing bytes");
  h->TrimAll(now_ms);
  return h;
}

}  // namespace tenantkv::engine
