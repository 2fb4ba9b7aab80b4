#include "engine/audit/audit_log.h"

#include <nlohmann/json.hpp>
#include <rocksdb/write_batch.h>

#include <cinttypes>
#include <cstdio>
#include <ctime>

#include "crypto/hash.h"
#include "engine/storage/rocks_status.h"

namespace tenantkv::engine {
namespace {

using nlohmann::json;

const std::string kGenesis(64, '0');

std::string TimeText(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];  // room for any int fields: no truncation warning
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

json Canonical(const AuditEntry& e, const json& details) {
  // nlohmann::json objects keep their keys sorted: the dump is canonical.
  return {{"seq", e.seq},       {"time", e.time},     {"time_ms", e.time_ms},
          {"actor", e.actor},   {"action", e.action}, {"tenant", e.tenant},
          {"details", details}, {"prev_hash", e.prev_hash}};
}

// Parses a stored value; false if it is not a well-formed entry.
bool Decode(std::string_view value, AuditEntry* e) {
  json j = json::parse(value, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return false;
  try {
    e->seq = j.at("seq").get<uint64_t>();
    e->time = j.at("time").get<std::string>();
    e->time_ms = j.at("time_ms").get<int64_t>();
    e->actor = j.at("actor").get<std::string>();
    e->action = j.at("action").get<std::string>();
    e->tenant = j.at("tenant").get<std::string>();
    if (!j.at("details").is_object()) return false;
    e->details = j.at("details").dump();
    e->prev_hash = j.at("prev_hash").get<std::string>();
    e->hash = j.at("hash").get<std::string>();
  } catch (const json::exception&) {
    return false;
  }
  return j.size() == 9;
}

}  // namespace

std::string AuditLog::KeyFor(uint64_t seq) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, seq);
  return std::string(kPrefix) + buf;
}

std::string AuditLog::ComputeHash(const AuditEntry& e) {
  json details = json::parse(e.details.empty() ? "{}" : e.details, nullptr, false);
  auto d = crypto::Sha256(Canonical(e, details).dump());
  return crypto::HexEncode(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

Result<std::unique_ptr<AuditLog>> AuditLog::Open(Storage* storage, const Clock* clock) {
  std::unique_ptr<AuditLog> log(new AuditLog(storage, clock));
  TKV_RETURN_IF_ERROR(log->LoadHead());
  return log;
}

Status AuditLog::LoadHead() {
  std::unique_ptr<rocksdb::Iterator> it(
      storage_->db()->NewIterator(rocksdb::ReadOptions(), storage_->system()));
  // The last key before the end of the prefix is the head.
  it->SeekForPrev(PrefixEnd(kPrefix));
  if (!it->status().ok()) return FromRocks(it->status(), "audit scan");
  MutexLock lock(mu_);  // uncontended (Open runs it), taken for the analysis
  last_seq_ = 0;
  last_hash_ = kGenesis;
  if (!it->Valid() || !it->key().starts_with(kPrefix)) return Status::Ok();
  AuditEntry e;
  if (!Decode(it->value().ToStringView(), &e) || KeyFor(e.seq) != it->key().ToStringView()) {
    return Status::Internal("the last audit entry is unreadable", "audit_corrupt");
  }
  last_seq_ = e.seq;
  last_hash_ = e.hash;
  return Status::Ok();
}

Result<AuditEntry> AuditLog::Append(const std::string& actor, const std::string& action,
                                    const std::string& tenant, const std::string& details_json) {
  json details = json::parse(details_json.empty() ? "{}" : details_json, nullptr, false);
  if (details.is_discarded() || !details.is_object()) {
    return Status::InvalidArgument("audit details must be a JSON object");
  }
  if (actor.empty() || action.empty()) return Status::InvalidArgument("audit actor and action are required");
  MutexLock lock(mu_);
  AuditEntry e;
  e.seq = last_seq_ + 1;
  e.time_ms = clock_->NowUnixMillis();
  e.time = TimeText(e.time_ms);
  e.actor = actor;
  e.action = action;
  e.tenant = tenant;
  e.details = details.dump();
  e.prev_hash = last_hash_;
  e.hash = ComputeHash(e);
  json stored = Canonical(e, details);
  stored["hash"] = e.hash;
  rocksdb::WriteBatch batch;
  rocksdb::Status s = batch.Put(storage_->system(), KeyFor(e.seq), stored.dump());
  if (!s.ok()) return FromRocks(s, "audit append");
  if (tap_ != nullptr) tap_->Stage(e, &batch);
  s = storage_->db()->Write(storage_->meta_write_options(), &batch);
  if (tap_ != nullptr) tap_->Done(s.ok());
  if (!s.ok()) return FromRocks(s, "audit append");
  last_seq_ = e.seq;
  last_hash_ = e.hash;
  return e;
}

Result<AuditPage> AuditLog::List(const AuditQuery& q) const {
  AuditPage page;
  std::unique_ptr<rocksdb::Iterator> it(
      storage_->db()->NewIterator(rocksdb::ReadOptions(), storage_->system()));
  for (it->Seek(KeyFor(q.after_seq + 1)); it->Valid() && it->key().starts_with(kPrefix); it->Next()) {
    AuditEntry e;
    if (!Decode(it->value().ToStringView(), &e)) {
      return Status::Internal("an audit entry is unreadable; run audit verify", "audit_corrupt");
    }
    if (!q.tenant.empty() && e.tenant != q.tenant) continue;
    if (page.entries.size() == q.limit) {
      page.next = page.entries.back().seq;
      break;
    }
    page.entries.push_back(std::move(e));
  }
  if (!it->status().ok()) return FromRocks(it->status(), "audit scan");
  return page;
}

AuditVerdict AuditLog::Verify() const {
  AuditVerdict v;
  // Read before the scan starts, so the scan sees at least this many entries.
  const uint64_t known = last_seq();
  std::unique_ptr<rocksdb::Iterator> it(
      storage_->db()->NewIterator(rocksdb::ReadOptions(), storage_->system()));
  std::string prev = kGenesis;
  uint64_t expect = 1;
  auto fail = [&v](uint64_t seq, const char* reason) {
    v.ok = false;
    v.broken_at = seq;
    v.reason = reason;
    return v;
  };
  for (it->Seek(kPrefix); it->Valid() && it->key().starts_with(kPrefix); it->Next()) {
    AuditEntry e;
    if (!Decode(it->value().ToStringView(), &e)) return fail(expect, "unreadable");
    if (e.seq != expect || KeyFor(e.seq) != it->key().ToStringView()) return fail(expect, "seq_gap");
    if (e.prev_hash != prev) return fail(e.seq, "prev_hash_mismatch");
    if (!crypto::ConstantTimeEquals(ComputeHash(e), e.hash)) return fail(e.seq, "hash_mismatch");
    prev = e.hash;
    v.entries = e.seq;
    v.head = e.hash;
    ++expect;
  }
  if (!it->status().ok()) return fail(expect, "unreadable");
  // Entries cut off the end are only visible against the head kept in memory.
  if (v.entries < known) return fail(v.entries + 1, "seq_gap");
  return v;
}

uint64_t AuditLog::last_seq() const {
  MutexLock lock(mu_);
  return last_seq_;
}

std::string AuditLog::head_hash() const {
  MutexLock lock(mu_);
  return last_seq_ == 0 ? std::string() : last_hash_;
}

}  // namespace tenantkv::engine
