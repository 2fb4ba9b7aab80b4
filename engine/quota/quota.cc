#include "engine/quota/quota.h"

#include <algorithm>
#include <functional>
#include <iterator>
#include <limits>
#include <unordered_map>

#include "crypto/mutex.h"

namespace tenantkv::engine {
namespace {

constexpr int64_t kKiB = 1024, kMiB = 1024 * kKiB, kGiB = 1024 * kMiB, kTiB = 1024 * kGiB;
constexpr int64_t kBig = std::numeric_limits<int64_t>::max() / 4;

Quota Make(int64_t rps, int64_t burst, int64_t rbps, int64_t wbps, int64_t rburst, int64_t wburst,
           int64_t conc, int64_t storage, int64_t value, int64_t weight, int64_t reserved,
           int64_t queue_ms) {
  Quota q;
  q.requests_per_sec = rps;
  q.burst_requests = burst;
  q.read_bytes_per_sec = rbps;
  q.write_bytes_per_sec = wbps;
  q.burst_read_bytes = rburst;
  q.burst_write_bytes = wburst;
  q.max_concurrent = conc;
  q.storage_bytes = storage;
  q.storage_soft_pct = 90;
  q.max_value_bytes = value;
  q.weight = weight;
  q.reserved_ops_per_sec = reserved;
  q.max_queue_ms = queue_ms;
  return q;
}

// A tenant admin may lower anything down to these floors.
Quota Floors() {
  Quota q = Make(1, 1, 1024, 1024, 1024, 1024, 1, 1, 1, 1, 0, 10);
  q.storage_soft_pct = 1;
  return q;
}

Plan MakePlan(std::string name, Quota defaults) {
  Plan p{std::move(name), defaults, Floors(), defaults};
  p.max.storage_soft_pct = 100;
  return p;
}

}  // namespace

const std::vector<QuotaField>& QuotaFields() {
  static const std::vector<QuotaField> kFields = {
      {"requests_per_sec", &Quota::requests_per_sec, 1, 10'000'000},
      {"burst_requests", &Quota::burst_requests, 1, 100'000'000},
      {"read_bytes_per_sec", &Quota::read_bytes_per_sec, 1, kBig},
      {"write_bytes_per_sec", &Quota::write_bytes_per_sec, 1, kBig},
      {"burst_read_bytes", &Quota::burst_read_bytes, 1, kBig},
      {"burst_write_bytes", &Quota::burst_write_bytes, 1, kBig},
      {"max_concurrent", &Quota::max_concurrent, 1, 100'000},
      {"storage_bytes", &Quota::storage_bytes, 1, kBig},
      {"storage_soft_pct", &Quota::storage_soft_pct, 1, 100},
      {"storage_grace_pct", &Quota::storage_grace_pct, 0, 100, true},
      {"storage_grace_seconds", &Quota::storage_grace_seconds, 0, 30LL * 24 * 3600, true},
      {"max_value_bytes", &Quota::max_value_bytes, 1, 64 * kMiB},
      {"weight", &Quota::weight, 1, 10'000},
      {"reserved_ops_per_sec", &Quota::reserved_ops_per_sec, 0, 10'000'000},
      {"max_queue_ms", &Quota::max_queue_ms, 1, 600'000},
  };
  return kFields;
}

const QuotaField* FindQuotaField(std::string_view name) {
  for (const auto& f : QuotaFields()) {
    if (name == f.name) return &f;
  }
  return nullptr;
}

Status ValidateQuota(const Quota& q) {
  for (const auto& f : QuotaFields()) {
    const int64_t v = q.*f.member;
    if (v < f.min || v > f.max) {
      return Status::InvalidArgument(std::string(f.name) + " must be between " + std::to_string(f.min) +
                                         " and " + std::to_string(f.max),
                                     "invalid_quota");
    }
  }
  return Status::Ok();
}

std::vector<Plan> BuiltInPlans() {
  return {
      MakePlan("free", Make(50, 100, 1 * kMiB, 512 * kKiB, 4 * kMiB, 2 * kMiB, 8, 100 * kMiB, 256 * kKiB,
                            1, 0, 500)),
      MakePlan("standard", Make(500, 1000, 20 * kMiB, 10 * kMiB, 40 * kMiB, 20 * kMiB, 64, 10 * kGiB,
                                1 * kMiB, 2, 10, 1000)),
      MakePlan("premium", Make(5000, 10000, 200 * kMiB, 100 * kMiB, 400 * kMiB, 200 * kMiB, 256, 1 * kTiB,
                               1 * kMiB, 4, 100, 2000)),
  };
}

Status CheckPlanRange(const Plan& plan, const Quota& current, const Quota& q) {
  for (const auto& f : QuotaFields()) {
    const int64_t v = q.*f.member;
    if (v == current.*f.member) continue;
    if (v < plan.min.*f.member || v > plan.max.*f.member) {
      return Status::PermissionDenied(std::string(f.name) + " must be between " +
                                          std::to_string(plan.min.*f.member) + " and " +
                                          std::to_string(plan.max.*f.member) + " on plan '" +
                                          plan.name + "'",
                                      "outside_plan_range");
    }
  }
  return Status::Ok();
}

Status ValidatePlan(const Plan& plan) {
  TKV_RETURN_IF_ERROR(ValidateQuota(plan.defaults));
  TKV_RETURN_IF_ERROR(ValidateQuota(plan.min));
  TKV_RETURN_IF_ERROR(ValidateQuota(plan.max));
  for (const auto& f : QuotaFields()) {
    if (!(plan.min.*f.member <= plan.defaults.*f.member && plan.defaults.*f.member <= plan.max.*f.member)) {
      return Status::InvalidArgument(std::string("plan needs min <= default <= max for ") + f.name,
                                     "invalid_plan");
    }
  }
  return Status::Ok();
}

std::map<std::string, std::pair<int64_t, int64_t>> DiffQuota(const Quota& a, const Quota& b) {
  std::map<std::string, std::pair<int64_t, int64_t>> out;
  for (const auto& f : QuotaFields()) {
    if (a.*f.member != b.*f.member) out[f.name] = {a.*f.member, b.*f.member};
  }
  return out;
}

bool SameQuota(const Quota& a, const Quota& b) {
  for (const auto& f : QuotaFields()) {
    if (a.*f.member != b.*f.member) return false;
  }
  return true;
}

namespace {

size_t HashQuota(const Quota& q) {
  size_t h = 0;
  for (const auto& f : QuotaFields()) {
    h = (h ^ std::hash<int64_t>()(q.*f.member)) * 0x100000001b3ull;
  }
  return h;
}

// The live shared quotas by hash. An entry whose quota every holder let go
// is dropped when its bucket is next visited, and all of them in a sweep
// once the table has doubled since the last one, so the table stays within
// twice the quotas alive (plus 64).
class QuotaInterner {
 public:
  SharedQuota Intern(const Quota& q) {
    const size_t h = HashQuota(q);
    MutexLock lock(mu_);
    auto& bucket = table_[h];
    SharedQuota found;
    for (auto it = bucket.begin(); it != bucket.end();) {
      SharedQuota live = it->lock();
      if (!live) {
        it = bucket.erase(it);
        --entries_;
        continue;
      }
      if (!found && SameQuota(*live, q)) found = std::move(live);
      ++it;
    }
    if (found) return found;
    auto made = std::make_shared<const Quota>(q);
    bucket.push_back(made);
    if (++entries_ > 2 * swept_to_ + 64) Sweep();
    return made;
  }

 private:
  void Sweep() REQUIRES(mu_) {
    for (auto it = table_.begin(); it != table_.end();) {
      auto& bucket = it->second;
      const size_t before = bucket.size();
      bucket.erase(std::remove_if(bucket.begin(), bucket.end(), [](const auto& w) { return w.expired(); }),
                   bucket.end());
      entries_ -= before - bucket.size();
      it = bucket.empty() ? table_.erase(it) : std::next(it);
    }
    swept_to_ = entries_;
  }

  Mutex mu_;
  std::unordered_map<size_t, std::vector<std::weak_ptr<const Quota>>> table_ GUARDED_BY(mu_);
  size_t entries_ GUARDED_BY(mu_) = 0;
  size_t swept_to_ GUARDED_BY(mu_) = 0;
};

}  // namespace

SharedQuota InternQuota(const Quota& q) {
  static QuotaInterner* interner = new QuotaInterner();  // never destroyed: holders may outlive statics
  return interner->Intern(q);
}

}  // namespace tenantkv::engine
