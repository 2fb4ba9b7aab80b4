#include "engine/keys/seal_counter.h"

#include <algorithm>
#include <charconv>

#include "engine/storage/rocks_status.h"
#include "engine/storage/system_keys.h"

namespace tenantkv::engine {
namespace {

bool ParseCount(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

SealCounter::SealCounter(Storage* storage, const std::string& tenant_id,
                         std::shared_ptr<const SealCounterOptions> options)
    : storage_(storage), tenant_id_(tenant_id), options_(std::move(options)) {}

SealCounter::Entry& SealCounter::At(uint32_t version) {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), version,
                             [](const auto& e, uint32_t v) { return e.first < v; });
  if (it == entries_.end() || it->first != version) it = entries_.insert(it, {version, Entry{}});
  return it->second;
}

const SealCounter::Entry* SealCounter::Find(uint32_t version) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), version,
                             [](const auto& e, uint32_t v) { return e.first < v; });
  return it == entries_.end() || it->first != version ? nullptr : &it->second;
}

Status SealCounter::Load() {
  const std::string prefix = SealsPrefix(tenant_id_);
  std::unique_ptr<rocksdb::Iterator> it(storage_->db()->NewIterator(rocksdb::ReadOptions(), storage_->system()));
  MutexLock lock(mu_);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    TKV_RETURN_IF_ERROR(LoadOne(it->key().ToString().substr(prefix.size()), it->value().ToStringView()));
  }
  return FromRocks(it->status(), "load seal counts");
}

Status SealCounter::LoadFrom(const std::vector<std::pair<std::string, std::string>>& records) {
  MutexLock lock(mu_);
  for (const auto& [hex, value] : records) TKV_RETURN_IF_ERROR(LoadOne(hex, value));
  return Status::Ok();
}

Status SealCounter::LoadOne(const std::string& hex, std::string_view value) {
  uint64_t seals = 0;
  if (hex.size() != 8 || hex.find_first_not_of("0123456789abcdef") != std::string::npos ||
      !ParseCount(value, &seals)) {
    return Status::DataLoss("seal count record of tenant '" + tenant_id_ + "' is malformed");
  }
  const auto version = static_cast<uint32_t>(std::stoul(hex, nullptr, 16));
  Entry& e = At(version);
  // A crash may have lost any count past the mark: continue from it.
  e.count = seals;
  e.reserved = seals;
  // A rotation asked for before the restart was lost with the process:
  // the next seal past the bound asks again.
  e.bound_reported = false;
  return Status::Ok();
}

Status SealCounter::Count(uint32_t version) {
  bool report = false;
  Status out = Status::Ok();
  {
    MutexLock lock(mu_);
    Entry& e = At(version);
    if (options_->limit > 0 && e.count >= options_->limit) {
      ++refused_;
      out = Status::Unavailable("the data key has made " + std::to_string(options_->limit) +
                                    " seals, its safe limit, and its rotation has not succeeded yet; "
                                    "writes resume once it has (reads are unaffected)",
                                "key_exhausted");
    } else {
      if (e.count >= e.reserved) {
        const uint64_t mark = e.count + options_->block;
        TKV_RETURN_IF_ERROR(FromRocks(storage_->db()->Put(storage_->meta_write_options(), storage_->system(),
                                                          SealsKey(tenant_id_, version), std::to_string(mark)),
                                      "reserve seals"));
        e.reserved = mark;
      }
      ++e.count;
    }
    // At the bound, and again on each seal (or refusal) after a failed
    // rotation re-armed it.
    if (options_->bound > 0 && e.count >= options_->bound && !e.bound_reported) {
      e.bound_reported = true;
      report = true;
    }
  }
  if (report && options_->on_bound) options_->on_bound(tenant_id_, version);
  return out;
}

uint64_t SealCounter::Seals(uint32_t version) const {
  MutexLock lock(mu_);
  const Entry* e = Find(version);
  return e == nullptr ? 0 : e->count;
}

bool SealCounter::Exhausted(uint32_t version) const {
  MutexLock lock(mu_);
  const Entry* e = Find(version);
  return options_->limit > 0 && e != nullptr && e->count >= options_->limit;
}

uint64_t SealCounter::Refused() const {
  MutexLock lock(mu_);
  return refused_;
}

void SealCounter::Rearm(uint32_t version) {
  MutexLock lock(mu_);
  At(version).bound_reported = false;
}

}  // namespace tenantkv::engine
