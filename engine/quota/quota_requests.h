// QuotaRequestStore: a tenant admin's requests for quota beyond its plan's
// range, and the operators' decisions on them.
//
// A request names quota fields with the values asked for, a reason and,
// for a temporary grant, when it ends. It is pending until approved (the
// engine applies it: Engine::ApproveQuotaRequest) or rejected; with four
// eyes several operators' approvals are recorded on it first. A tenant has
// at most kMaxPendingQuotaRequests pending; of its decided ones the newest
// kMaxDecidedQuotaRequests are kept (older ones are dropped as new ones
// are decided). Ids ("qr_" + 16 hex) rise with creation, so lists in id
// order are oldest first. Persistence (system column family, fsync'd):
//   qreq/<id>   JSON request
// All requests are held in memory too (bounded per tenant as above).
// Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/mutex.h"
#include "crypto/status.h"
#include "engine/clock.h"
#include "engine/storage/storage.h"

namespace tenantkv::engine {

inline constexpr size_t kMaxPendingQuotaRequests = 16;
inline constexpr size_t kMaxDecidedQuotaRequests = 100;
inline constexpr size_t kMaxQuotaRequestReasonBytes = 1024;

enum class QuotaRequestState { kPending, kApproved, kRejected };
const char* QuotaRequestStateName(QuotaRequestState s);
// InvalidArgument("invalid_parameter") for anything but pending, approved, rejected.
Result<QuotaRequestState> ParseQuotaRequestState(const std::string& name);

struct QuotaApproval {
  std::string by;  // the operator, as ActorOf names it
  int64_t at_ms = 0;
  std::string comment;
};

struct QuotaRequest {
  std::string id;
  std::string tenant;
  std::map<std::string, int64_t> fields;  // quota field -> value asked for
  std::string reason;
  int64_t expires_at_ms = 0;  // 0 = a lasting change; else a temporary grant until then
  QuotaRequestState state = QuotaRequestState::kPending;
  int64_t created_at_ms = 0;
  std::string created_by;              // the tenant admin key id
  std::vector<QuotaApproval> approvals;  // oldest first
  std::string decided_by;              // who approved last or rejected; "" while pending
  int64_t decided_at_ms = 0;
  std::string decision_comment;
  int64_t manifest_version = 0;  // the quota version an approval made; 0 otherwise
};

struct QuotaRequestFilter {
  std::optional<std::string> tenant;
  std::optional<QuotaRequestState> state;
};

struct QuotaRequestPage {
  std::vector<QuotaRequest> requests;  // oldest first
  std::optional<std::string> next;     // the last id given, when more follow
};

// InvalidArgument("invalid_reason") unless 1..kMaxQuotaRequestReasonBytes
// bytes without control characters.
Status ValidateQuotaRequestReason(const std::string& reason);

// AlreadyExists("request_decided") unless `r` is pending;
// ("duplicate_approval") if `by` approved it already.
Status CheckApprovable(const QuotaRequest& r, const std::string& by);

class QuotaRequestStore {
 public:
  // Loads the stored requests. `storage` and `clock` must outlive the store.
  static Result<std::unique_ptr<QuotaRequestStore>> Open(Storage* storage, const Clock* clock);

  // A new pending request. The fields' names and values are the caller's
  // to judge (Engine::FileQuotaRequest does). InvalidArgument
  // ("invalid_reason") as ValidateQuotaRequestReason; ("invalid_expires_at")
  // for an expiry not in the future; AlreadyExists("request_limit") when the
  // tenant has kMaxPendingQuotaRequests pending.
  Result<QuotaRequest> Create(const std::string& tenant, std::map<std::string, int64_t> fields,
                              const std::string& reason, int64_t expires_at_ms, const std::string& created_by);
  // NotFound("request_not_found").
  Result<QuotaRequest> Get(const std::string& id) const;
  // At most `limit` (>= 1) requests matching `filter` with ids after
  // `start_after`, oldest first.
  QuotaRequestPage List(const QuotaRequestFilter& filter, const std::string& start_after, size_t limit) const;
  // Records `approval` on a pending request. NotFound("request_not_found");
  // AlreadyExists("request_decided") unless pending; ("duplicate_approval")
  // if the same operator approved it already.
  Result<QuotaRequest> AddApproval(const std::string& id, const QuotaApproval& approval);
  // Ends a pending request: approved (`last` is the approval that applied
  // it, `manifest_version` the version made) or rejected (`last.by` is who
  // rejected). Errors as AddApproval.
  Result<QuotaRequest> Decide(const std::string& id, QuotaRequestState state, const QuotaApproval& last,
                              int64_t manifest_version);
  // Drops every request of the tenant (it was deleted).
  Status RemoveTenant(const std::string& tenant);
  // Takes in the requests of `tenant` brought from another node (a move
  // between nodes: their stored JSON, any order). Ids are a per-node
  // sequence, so each gets a new id of this node's, in the order of its
  // old one (lists stay oldest first); everything else is kept. One
  // synced batch. DataLoss for a malformed one, InvalidArgument
  // ("bad_transfer") for another tenant's. Gives the new id of each old.
  Result<std::map<std::string, std::string>> Adopt(const std::string& tenant, const std::vector<std::string>& stored);

 private:
  QuotaRequestStore(Storage* storage, const Clock* clock) : storage_(storage), clock_(clock) {}
  Status Load();
  // Checks a pending request `id` may take `by`'s approval or decision.
  Result<QuotaRequest*> Pending(const std::string& id, const std::string& by) REQUIRES(mu_);
  Status Persist(const QuotaRequest& r) REQUIRES(mu_);
  // Drops the tenant's oldest decided requests past kMaxDecidedQuotaRequests.
  Status Prune(const std::string& tenant) REQUIRES(mu_);

  Storage* const storage_;
  const Clock* const clock_;
  mutable Mutex mu_;
  std::map<std::string, QuotaRequest> requests_ GUARDED_BY(mu_);  // by id
  uint64_t next_seq_ GUARDED_BY(mu_) = 1;
};

}  // namespace tenantkv::engine
