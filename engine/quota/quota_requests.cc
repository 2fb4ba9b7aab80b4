#include "engine/quota/quota_requests.h"

#include <nlohmann/json.hpp>
#include <rocksdb/write_batch.h>

#include <cstdio>

#include "engine/quota/addon_store.h"
#include "engine/storage/rocks_status.h"
#include "engine/storage/system_keys.h"

namespace tenantkv::engine {
namespace {

using nlohmann::json;

constexpr char kIdPrefix[] = "qr_";

std::string IdOf(uint64_t seq) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(seq));
  return kIdPrefix + std::string(buf);
}

json ApprovalJson(const QuotaApproval& a) { return {{"by", a.by}, {"at_ms", a.at_ms}, {"comment", a.comment}}; }

json RequestJson(const QuotaRequest& r) {
  json approvals = json::array();
  for (const auto& a : r.approvals) approvals.push_back(ApprovalJson(a));
  return {{"id", r.id},
          {"tenant", r.tenant},
          {"fields", r.fields},
          {"reason", r.reason},
          {"expires_at_ms", r.expires_at_ms},
          {"state", QuotaRequestStateName(r.state)},
          {"created_at_ms", r.created_at_ms},
          {"created_by", r.created_by},
          {"approvals", std::move(approvals)},
          {"decided_by", r.decided_by},
          {"decided_at_ms", r.decided_at_ms},
          {"decision_comment", r.decision_comment},
          {"manifest_version", r.manifest_version}};
}

Result<QuotaRequest> RequestFromJson(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::DataLoss("quota request is not JSON");
  try {
    QuotaRequest r;
    r.id = j.at("id").get<std::string>();
    r.tenant = j.at("tenant").get<std::string>();
    r.fields = j.at("fields").get<std::map<std::string, int64_t>>();
    r.reason = j.at("reason").get<std::string>();
    r.expires_at_ms = j.at("expires_at_ms").get<int64_t>();
    TKV_ASSIGN_OR_RETURN(r.state, ParseQuotaRequestState(j.at("state").get<std::string>()));
    r.created_at_ms = j.at("created_at_ms").get<int64_t>();
    r.created_by = j.at("created_by").get<std::string>();
    for (const auto& a : j.at("approvals")) {
      r.approvals.push_back({a.at("by").get<std::string>(), a.at("at_ms").get<int64_t>(),
                             a.at("comment").get<std::string>()});
    }
    r.decided_by = j.at("decided_by").get<std::string>();
    r.decided_at_ms = j.at("decided_at_ms").get<int64_t>();
    r.decision_comment = j.at("decision_comment").get<std::string>();
    r.manifest_version = j.at("manifest_version").get<int64_t>();
    return r;
  } catch (const json::exception& e) {
    return Status::DataLoss(std::string("quota request is malformed: ") + e.what());
  }
}

}  // namespace

const char* QuotaRequestStateName(QuotaRequestState s) {
  switch (s) {
    case QuotaRequestState::kPending: return "pending";
    case QuotaRequestState::kApproved: return "approved";
    case QuotaRequestState::kRejected: return "rejected";
  }
  return "pending";
}

Result<QuotaRequestState> ParseQuotaRequestState(const std::string& name) {
  if (name == "pending") return QuotaRequestState::kPending;
  if (name == "approved") return QuotaRequestState::kApproved;
  if (name == "rejected") return QuotaRequestState::kRejected;
  return Status::InvalidArgument("state must be pending, approved or rejected", "invalid_parameter");
}

Status ValidateQuotaRequestReason(const std::string& reason) {
  bool ok = !reason.empty() && reason.size() <= kMaxQuotaRequestReasonBytes;
  for (unsigned char ch : reason) ok = ok && ch >= 0x20 && ch != 0x7f;
  if (!ok) {
    return Status::InvalidArgument("'reason' must be 1.." + std::to_string(kMaxQuotaRequestReasonBytes) +
                                       " bytes of text without control characters",
                                   "invalid_reason");
  }
  return Status::Ok();
}

Status CheckApprovable(const QuotaRequest& r, const std::string& by) {
  if (r.state != QuotaRequestState::kPending) {
    return Status::AlreadyExists("quota request '" + r.id + "' was " + QuotaRequestStateName(r.state) + " already",
                                 "request_decided");
  }
  for (const auto& a : r.approvals) {
    if (!by.empty() && a.by == by) {
      return Status::AlreadyExists("'" + by + "' approved quota request '" + r.id + "' already",
                                   "duplicate_approval");
    }
  }
  return Status::Ok();
}

Result<std::unique_ptr<QuotaRequestStore>> QuotaRequestStore::Open(Storage* storage, const Clock* clock) {
  std::unique_ptr<QuotaRequestStore> s(new QuotaRequestStore(storage, clock));
  TKV_RETURN_IF_ERROR(s->Load());
  return s;
}

Status QuotaRequestStore::Load() {
  MutexLock lock(mu_);  // uncontended (Open runs it), taken for the analysis
  std::unique_ptr<rocksdb::Iterator> it(storage_->db()->NewIterator(rocksdb::ReadOptions(), storage_->system()));
  for (it->Seek(kQuotaRequestPrefix); it->Valid() && it->key().starts_with(kQuotaRequestPrefix); it->Next()) {
    TKV_ASSIGN_OR_RETURN(QuotaRequest r, RequestFromJson(it->value().ToStringView()));
    const std::string id = r.id;
    requests_[id] = std::move(r);
  }
  TKV_RETURN_IF_ERROR(FromRocks(it->status(), "load quota requests"));
  if (!requests_.empty()) {
    // Ids are "qr_" and 16 hex digits, so the last one holds the highest sequence.
    const std::string& last = requests_.rbegin()->first;
    next_seq_ = std::stoull(last.substr(sizeof(kIdPrefix) - 1), nullptr, 16) + 1;
  }
  return Status::Ok();
}

Status QuotaRequestStore::Persist(const QuotaRequest& r) {
  return FromRocks(storage_->db()->Put(storage_->meta_write_options(), storage_->system(),
                                       kQuotaRequestPrefix + r.id, RequestJson(r).dump()),
                   "persist quota request");
}

Result<QuotaRequest> QuotaRequestStore::Create(const std::string& tenant, std::map<std::string, int64_t> fields,
                                               const std::string& reason, int64_t expires_at_ms,
                                               const std::string& created_by) {
  TKV_RETURN_IF_ERROR(ValidateQuotaRequestReason(reason));
  const int64_t now = clock_->NowUnixMillis();
  if (expires_at_ms != 0 && expires_at_ms <= now) {
    return Status::InvalidArgument("'expires_at' must be in the future", "invalid_expires_at");
  }
  // An expiring grant becomes an add-on at approval, and an add-on lasts at
  // most 366 days: a longer one is refused now, not at the approval.
  if (expires_at_ms != 0 && expires_at_ms - now > kMaxAddonMillis) {
    return Status::InvalidArgument("'expires_at' is more than 366 days ahead: a temporary grant lasts at most that",
                                   "invalid_expires_at");
  }
  MutexLock lock(mu_);
  size_t pending = 0;
  for (const auto& [id, r] : requests_) {
    pending += r.tenant == tenant && r.state == QuotaRequestState::kPending;
  }
  if (pending >= kMaxPendingQuotaRequests) {
    return Status::AlreadyExists("the tenant has " + std::to_string(pending) +
                                     " pending quota requests, the most it may have",
                                 "request_limit");
  }
  QuotaRequest r;
  r.id = IdOf(next_seq_);
  r.tenant = tenant;
  r.fields = std::move(fields);
  r.reason = reason;
  r.expires_at_ms = expires_at_ms;
  r.created_at_ms = now;
  r.created_by = created_by;
  TKV_RETURN_IF_ERROR(Persist(r));
  ++next_seq_;
  requests_[r.id] = r;
  return r;
}

Result<QuotaRequest> QuotaRequestStore::Get(const std::string& id) const {
  MutexLock lock(mu_);
  auto it = requests_.find(id);
  if (it == requests_.end()) return Status::NotFound("no quota request '" + id + "'", "request_not_found");
  return it->second;
}

QuotaRequestPage QuotaRequestStore::List(const QuotaRequestFilter& filter, const std::string& start_after,
                                         size_t limit) const {
  MutexLock lock(mu_);
  QuotaRequestPage page;
  for (auto it = requests_.upper_bound(start_after); it != requests_.end(); ++it) {
    const QuotaRequest& r = it->second;
    if (filter.tenant && r.tenant != *filter.tenant) continue;
    if (filter.state && r.state != *filter.state) continue;
    if (page.requests.size() == limit) {
      page.next = page.requests.back().id;
      break;
    }
    page.requests.push_back(r);
  }
  return page;
}

Result<QuotaRequest*> QuotaRequestStore::Pending(const std::string& id, const std::string& by) {
  auto it = requests_.find(id);
  if (it == requests_.end()) return Status::NotFound("no quota request '" + id + "'", "request_not_found");
  TKV_RETURN_IF_ERROR(CheckApprovable(it->second, by));
  return &it->second;
}

Result<QuotaRequest> QuotaRequestStore::AddApproval(const std::string& id, const QuotaApproval& approval) {
  MutexLock lock(mu_);
  TKV_ASSIGN_OR_RETURN(QuotaRequest * r, Pending(id, approval.by));
  QuotaRequest next = *r;
  next.approvals.push_back(approval);
  TKV_RETURN_IF_ERROR(Persist(next));
  *r = std::move(next);
  return *r;
}

Result<QuotaRequest> QuotaRequestStore::Decide(const std::string& id, QuotaRequestState state,
                                               const QuotaApproval& last, int64_t manifest_version) {
  MutexLock lock(mu_);
  // A reject by an operator who approved earlier is allowed: it changed its mind.
  TKV_ASSIGN_OR_RETURN(QuotaRequest * r,
                       Pending(id, state == QuotaRequestState::kApproved ? last.by : std::string()));
  QuotaRequest next = *r;
  if (state == QuotaRequestState::kApproved) next.approvals.push_back(last);
  next.state = state;
  next.decided_by = last.by;
  next.decided_at_ms = last.at_ms;
  next.decision_comment = last.comment;
  next.manifest_version = manifest_version;
  TKV_RETURN_IF_ERROR(Persist(next));
  *r = std::move(next);
  QuotaRequest out = *r;
  // The decision stands even if pruning older history fails; the next
  // decision prunes again.
  Status pruned = Prune(out.tenant);
  (void)pruned;
  return out;
}

Status QuotaRequestStore::Prune(const std::string& tenant) {
  std::vector<std::string> decided;  // oldest first
  for (const auto& [id, r] : requests_) {
    if (r.tenant == tenant && r.state != QuotaRequestState::kPending) decided.push_back(id);
  }
  if (decided.size() <= kMaxDecidedQuotaRequests) return Status::Ok();
  decided.resize(decided.size() - kMaxDecidedQuotaRequests);
  rocksdb::WriteBatch batch;
  for (const auto& id : decided) {
    TKV_RETURN_IF_ERROR(FromRocks(batch.Delete(storage_->system(), kQuotaRequestPrefix + id), "stage"));
  }
  TKV_RETURN_IF_ERROR(FromRocks(storage_->db()->Write(storage_->meta_write_options(), &batch),
                                "prune quota requests"));
  for (const auto& id : decided) requests_.erase(id);
  return Status::Ok();
}

Result<std::map<std::string, std::string>> QuotaRequestStore::Adopt(const std::string& tenant,
                                                                    const std::vector<std::string>& stored) {
  std::map<std::string, QuotaRequest> by_old_id;  // in the order of the old ids
  for (const std::string& text : stored) {
    TKV_ASSIGN_OR_RETURN(QuotaRequest r, RequestFromJson(text));
    if (r.tenant != tenant) {
      return Status::InvalidArgument("a quota request of another tenant is in the transfer", "bad_transfer");
    }
    const std::string old_id = r.id;
    by_old_id.emplace(old_id, std::move(r));
  }
  std::map<std::string, std::string> renamed;
  if (by_old_id.empty()) return renamed;
  MutexLock lock(mu_);
  rocksdb::WriteBatch batch;
  uint64_t seq = next_seq_;
  std::vector<QuotaRequest> adopted;
  for (auto& [old_id, r] : by_old_id) {
    r.id = IdOf(seq++);
    renamed[old_id] = r.id;
    TKV_RETURN_IF_ERROR(
        FromRocks(batch.Put(storage_->system(), kQuotaRequestPrefix + r.id, RequestJson(r).dump()), "stage"));
    adopted.push_back(r);
  }
  TKV_RETURN_IF_ERROR(FromRocks(storage_->db()->Write(storage_->meta_write_options(), &batch),
                                "adopt quota requests"));
  next_seq_ = seq;
  for (QuotaRequest& r : adopted) {
    const std::string id = r.id;
    requests_[id] = std::move(r);
  }
  return renamed;
}

Status QuotaRequestStore::RemoveTenant(const std::string& tenant) {
  MutexLock lock(mu_);
  rocksdb::WriteBatch batch;
  std::vector<std::string> ids;
  for (const auto& [id, r] : requests_) {
    if (r.tenant == tenant) ids.push_back(id);
  }
  if (ids.empty()) return Status::Ok();
  for (const auto& id : ids) {
    TKV_RETURN_IF_ERROR(FromRocks(batch.Delete(storage_->system(), kQuotaRequestPrefix + id), "stage"));
  }
  TKV_RETURN_IF_ERROR(FromRocks(storage_->db()->Write(storage_->meta_write_options(), &batch),
                                "remove quota requests"));
  for (const auto& id : ids) requests_.erase(id);
  return Status::Ok();
}

}  // namespace tenantkv::engine
