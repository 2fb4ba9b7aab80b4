#include "engine/rotation/master_key_rotation.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>

#include "engine/storage/rocks_status.h"

namespace tenantkv::engine {
namespace {

using nlohmann::json;

// How long the final scan waits for a create or delete of a tenant that
// still has a key under an old version (each finishes in well under this).
constexpr int kBusyRetries = 3000;
constexpr auto kBusyWait = std::chrono::milliseconds(10);

json ToJson(const MasterKeyRotationRecord& r) {
  return {{"from", r.from},           {"to", r.to},
          {"state", r.state},         {"started_at_ms", r.started_at_ms},
          {"finished_at_ms", r.finished_at_ms}, {"tenants", r.tenants},
          {"keys", r.keys},           {"leftovers", r.leftovers},
          {"retired", r.retired}};
}

Result<MasterKeyRotationRecord> FromJson(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::DataLoss("master-key rotation record is not JSON");
  try {
    MasterKeyRotationRecord r;
    r.from = j.at("from").get<uint32_t>();
    r.to = j.at("to").get<uint32_t>();
    r.state = j.at("state").get<std::string>();
    r.started_at_ms = j.at("started_at_ms").get<int64_t>();
    r.finished_at_ms = j.at("finished_at_ms").get<int64_t>();
    r.tenants = j.at("tenants").get<size_t>();
    r.keys = j.at("keys").get<size_t>();
    r.leftovers = j.at("leftovers").get<size_t>();
    r.retired = j.at("retired").get<std::vector<uint32_t>>();
    if (r.state != "switching" && r.state != "rewrapping" && r.state != "retiring" && r.state != "done") {
      return Status::DataLoss("master-key rotation record has an unknown state");
    }
    return r;
  } catch (const json::exception& e) {
    return Status::DataLoss(std::string("master-key rotation record is malformed: ") + e.what());
  }
}

}  // namespace

MasterKeyRotator::MasterKeyRotator(Storage* storage, crypto::KeyProvider* keys, TenantRegistry* registry,
                                   AuditLog* audit, const Clock* clock)
    : storage_(storage), keys_(keys), registry_(registry), audit_(audit), clock_(clock) {}

MasterKeyRotator::~MasterKeyRotator() {
  stopping_ = true;
  WaitForBackground();
}

void MasterKeyRotator::WaitForBackground() {
  if (background_.joinable()) background_.join();
}

Result<MasterKeyRotationRecord> MasterKeyRotator::Load() const {
  std::string raw;
  rocksdb::Status s = storage_->db()->Get(rocksdb::ReadOptions(), storage_->system(), kRecordKey, &raw);
  if (s.IsNotFound()) return MasterKeyRotationRecord{};
  TKV_RETURN_IF_ERROR(FromRocks(s, "read master-key rotation record"));
  return FromJson(raw);
}

Status MasterKeyRotator::Save(const MasterKeyRotationRecord& r) {
  return FromRocks(storage_->db()->Put(storage_->meta_write_options(), storage_->system(), kRecordKey,
                                       ToJson(r).dump()),
                   "persist master-key rotation record");
}

Status MasterKeyRotator::ResumeInBackground() {
  TKV_ASSIGN_OR_RETURN(MasterKeyRotationRecord r, Load());
  if (r.state.empty() || r.state == "done") return Status::Ok();
  background_ = std::thread([this] {
    std::optional<MasterKeyRotationReport> report;
    {
      MutexLock lock(run_mu_);
      auto again = Load();  // a rotate call may have finished it meanwhile
      if (!again.ok() || again->state.empty() || again->state == "done") return;
      auto done = Run(*again, true);
      if (done.ok()) report = std::move(done).value();
    }
    // Audited after the lock is let go: once the status shows the rotation
    // done and not running, a rotate call is not refused.
    if (!report) return;  // stays persisted: the next start (or rotate call) resumes it
    json details = {{"from", report->from}, {"to", report->to}, {"tenants", report->tenants},
                    {"keys_rewrapped", report->keys_rewrapped}, {"resumed", true}};
    (void)audit_->Append("system", "master_key.rotate", "", details.dump());  // best effort
    for (uint32_t v : report->retired) {
      (void)audit_->Append("system", "master_key.retire", "", json{{"version", v}}.dump());
    }
  });
  return Status::Ok();
}

Result<MasterKeyRotationReport> MasterKeyRotator::Rotate() {
  if (!run_mu_.TryLock()) {
    return Status::AlreadyExists("a master-key rotation is already running", "rotation_in_progress");
  }
  MutexLock lock(run_mu_, kAdoptLock);
  TKV_ASSIGN_OR_RETURN(MasterKeyRotationRecord r, Load());
  if (!r.state.empty() && r.state != "done") return Run(std::move(r), true);
  MasterKeyRotationRecord next;
  next.from = keys_->CurrentVersion();
  next.state = "switching";
  next.started_at_ms = clock_->NowUnixMillis();
  TKV_RETURN_IF_ERROR(Save(next));
  return Run(std::move(next), false);
}

Result<MasterKeyRotationReport> MasterKeyRotator::Run(MasterKeyRotationRecord r, bool resumed) {
  const auto started = std::chrono::steady_clock::now();
  running_ = true;
  struct Clear {
    std::atomic<bool>& flag;
    ~Clear() { flag = false; }
  } clear{running_};
  MasterKeyRotationReport report;
  report.from = r.from;
  report.resumed = resumed;
  if (r.state == "switching") {
    // Either the switch happened before an interruption (the provider's
    // current version moved past `from`) or it is made now.
    uint32_t current = keys_->CurrentVersion();
    if (current == r.from) {
      TKV_RETURN_IF_ERROR(registry_->WithWrapsPaused([&]() -> Status {
        TKV_ASSIGN_OR_RETURN(current, keys_->AddVersion());
        return Status::Ok();
      }));
    }
    r.to = current;
    r.state = "rewrapping";
    TKV_RETURN_IF_ERROR(Save(r));
  }
  report.to = r.to;
  if (r.state == "rewrapping") {
    TKV_RETURN_IF_ERROR(Rewrap(r, report));
    if (extra_rewrap_) TKV_RETURN_IF_ERROR(extra_rewrap_(r.to));
    r.tenants += report.tenants;
    r.keys += report.keys_rewrapped;
    r.leftovers += report.leftovers_destroyed;
    r.state = "retiring";
    TKV_RETURN_IF_ERROR(Save(r));
  }
  if (r.state == "retiring") {
    // The full scan found nothing under any other version, and every new
    // wrap uses `to`: the older versions can go.
    for (uint32_t v : keys_->Versions()) {
      if (v >= r.to) continue;
      Status s = keys_->Retire(v);
      if (!s.ok() && s.code() != Code::kNotFound) return s;
      report.retired.push_back(v);
      r.retired.push_back(v);
    }
    r.state = "done";
    r.finished_at_ms = clock_->NowUnixMillis();
    TKV_RETURN_IF_ERROR(Save(r));
  }
  report.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - started)
                           .count();
  return report;
}

Status MasterKeyRotator::RewrapOne(const std::string& id, uint32_t to, MasterKeyRotationReport& report) {
  TKV_ASSIGN_OR_RETURN(TenantRegistry::RewrapOutcome o, registry_->RewrapTenantKeys(id, to));
  report.keys_rewrapped += o.keys_rewrapped;
  report.leftovers_destroyed += o.leftovers_destroyed;
  if (o.keys_rewrapped > 0) ++report.tenants;
  return Status::Ok();
}

Status MasterKeyRotator::Rewrap(MasterKeyRotationRecord& r, MasterKeyRotationReport& report) {
  size_t done = 0;
  for (const auto& t : registry_->List()) {
    if (stopping_) return Status::Unavailable("shutting down during a master-key rotation", "shutting_down");
    Status s = RewrapOne(t->id(), r.to, report);
    if (!s.ok() && s.reason() != "tenant_busy") return s;  // a busy one is caught by the scan below
    ++done;
    if (hook_) TKV_RETURN_IF_ERROR(hook_(done));
  }
  // The full scan: tenants created while the list was walked, leftovers of
  // interrupted deletes, and anything a busy tenant held back.
  for (int round = 0;; ++round) {
    TKV_ASSIGN_OR_RETURN(TenantRegistry::KeyCensus census, registry_->CensusWrappedKeys(r.to));
    if (census.tenants_not_under.empty()) return Status::Ok();
    if (round == kBusyRetries) {
      return Status::Unavailable("keys of " + std::to_string(census.tenants_not_under.size()) +
                                     " tenant(s) stay under an old master version (busy)",
                                 "tenant_busy");
    }
    bool busy = false;
    for (const auto& id : census.tenants_not_under) {
      if (stopping_) return Status::Unavailable("shutting down during a master-key rotation", "shutting_down");
      Status s = RewrapOne(id, r.to, report);
      if (s.reason() == "tenant_busy") busy = true;
      else TKV_RETURN_IF_ERROR(s);
    }
    if (busy) std::this_thread::sleep_for(kBusyWait);
  }
}

Result<MasterKeyStatus> MasterKeyRotator::CurrentStatus() const {
  MasterKeyStatus st;
  st.provider = keys_->Describe();
  st.current = keys_->CurrentVersion();
  st.versions = keys_->Versions();
  st.running = running_;
  TKV_ASSIGN_OR_RETURN(TenantRegistry::KeyCensus census, registry_->CensusWrappedKeys(st.current));
  st.keys_per_master = std::move(census.keys_per_master);
  TKV_ASSIGN_OR_RETURN(st.last, Load());
  return st;
}

}  // namespace tenantkv::engine
