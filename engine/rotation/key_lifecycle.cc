#include "engine/rotation/key_lifecycle.h"

#include <nlohmann/json.hpp>
#include <rocksdb/write_batch.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "engine/storage/rocks_status.h"
#include "engine/storage/system_keys.h"

namespace tenantkv::engine {
namespace {

using nlohmann::json;

std::string CursorJson(const std::string& after) {
  // Keys are any bytes: kept as hex so the record stays valid JSON.
  std::string hex;
  static const char* digits = "0123456789abcdef";
  for (unsigned char c : after) {
    hex.push_back(digits[c >> 4]);
    hex.push_back(digits[c & 15]);
  }
  return json{{"after_hex", hex}}.dump();
}

bool CursorFromJson(const std::string& text, std::string* after) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("after_hex") || !j["after_hex"].is_string()) return false;
  const std::string hex = j["after_hex"].get<std::string>();
  if (hex.size() % 2 != 0) return false;
  after->clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    auto nibble = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    const int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    after->push_back(static_cast<char>(hi << 4 | lo));
  }
  return true;
}

}  // namespace

KeyLifecycle::KeyLifecycle(Storage* storage, TenantRegistry* registry, FairScheduler* scheduler, AuditLog* audit,
                           KeyLifecycleOptions options)
    : storage_(storage), registry_(registry), scheduler_(scheduler), audit_(audit), options_(options) {}

KeyLifecycle::~KeyLifecycle() { Stop(); }

Status KeyLifecycle::Start() {
  for (const auto& t : registry_->List()) {
    std::string raw;
    rocksdb::Status s =
        storage_->db()->Get(rocksdb::ReadOptions(), storage_->system(), ReencryptCursorKey(t->id()), &raw);
    bool pending = false;
    Job job;
    if (s.ok()) {
      if (!CursorFromJson(raw, &job.after)) {
        return Status::DataLoss("re-encryption cursor of tenant '" + t->id() + "' is malformed");
      }
      pending = true;
    } else if (!s.IsNotFound()) {
      return FromRocks(s, "read re-encryption cursor");
    }
    for (const auto& k : t->Info().data_keys) pending = pending || k.state == "retiring";
    if (pending) {
      MutexLock lock(mu_);
      jobs_.emplace(t->id(), std::move(job));
    }
  }
  if (options_.background) thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void KeyLifecycle::Stop() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  cv_.SignalAll();
  if (thread_.joinable()) thread_.join();
}

Result<DataKeyInfo> KeyLifecycle::Rotate(const std::string& id) {
  TKV_ASSIGN_OR_RETURN(std::shared_ptr<Tenant> t, registry_->Get(id));
  // The cursor restarts in the rotation's own batch: a crash right after it
  // still re-encrypts everything.
  rocksdb::WriteBatch cursor;
  TKV_RETURN_IF_ERROR(FromRocks(cursor.Put(storage_->system(), ReencryptCursorKey(id), CursorJson("")),
                                "stage re-encryption cursor"));
  MutexLock lock(mu_);  // no step may persist an older cursor in between
  TKV_ASSIGN_OR_RETURN(DataKeyInfo added, registry_->AddDataKey(*t, &cursor));
  Job& job = jobs_[id];
  job.after.clear();
  ++job.generation;
  cv_.SignalAll();
  return added;
}

void KeyLifecycle::RequestAutoRotate(const std::string& id, uint32_t version) {
  {
    MutexLock lock(mu_);
    auto_rotate_.emplace_back(id, version);
  }
  cv_.SignalAll();
}

Result<int64_t> KeyLifecycle::ValuesOn(Tenant& t, uint32_t version) const {
  // Read where the store keeps them: a dedicated tenant's database, or the
  // node's.
  TKV_ASSIGN_OR_RETURN(std::vector<int64_t> values, t.movable_store().ValueCounts({version}));
  return values.at(0);
}

Result<KeyStatus> KeyLifecycle::Describe(const std::string& id) const {
  TKV_ASSIGN_OR_RETURN(std::shared_ptr<Tenant> t, registry_->Get(id));
  KeyStatus out;
  const std::vector<DataKeyInfo> keys = t->Info().data_keys;
  std::vector<uint32_t> versions;
  for (const auto& k : keys) versions.push_back(k.version);
  // All the counts at one sequence number (CfTenantStore::ValueCounts).
  TKV_ASSIGN_OR_RETURN(const std::vector<int64_t> values, t->movable_store().ValueCounts(versions));
  for (size_t i = 0; i < keys.size(); ++i) {
    const DataKeyInfo& k = keys[i];
    KeyVersionStatus v;
    v.version = k.version;
    v.state = k.state;
    v.created_at_ms = k.created_at_ms;
    v.master_version = k.master_version;
    v.seals = t->seals().Seals(k.version);
    v.values = values[i];
    out.versions.push_back(std::move(v));
  }
  MutexLock lock(mu_);
  out.reencrypting = jobs_.count(id) != 0;
  return out;
}

Status KeyLifecycle::PersistCursor(const std::string& id, const std::string& after) {
  return FromRocks(storage_->db()->Put(storage_->data_write_options(), storage_->system(), ReencryptCursorKey(id),
                                       CursorJson(after)),
                   "persist re-encryption cursor");
}

Result<bool> KeyLifecycle::FinishPass(Tenant& tenant) {
  // Writes that sealed under an older version before the rotation commit
  // before the counts are read; later writes use the current version.
  tenant.store().WriteBarrier();
  bool left = false;
  for (const auto& k : tenant.Info().data_keys) {
    if (k.state != "retiring") continue;
    TKV_ASSIGN_OR_RETURN(int64_t values, ValuesOn(tenant, k.version));
    if (values > 0) {
      left = true;
      continue;
    }
    TKV_RETURN_IF_ERROR(registry_->DestroyDataKey(tenant, k.version));
    auto e = audit_->Append("system", "key.destroy", tenant.id(),
                            json{{"version", k.version}, {"reason", "re-encrypted"}}.dump());
    if (!e.ok()) return e.status();
  }
  return !left;
}

Result<bool> KeyLifecycle::Step(const std::string& id) {
  Job job;
  {
    MutexLock lock(mu_);
    auto it = jobs_.find(id);
    if (it == jobs_.end()) return true;
    job = it->second;
  }
  auto got = registry_->Get(id);
  if (!got.ok()) {  // deleted: its records went with it
    MutexLock lock(mu_);
    jobs_.erase(id);
    return true;
  }
  std::shared_ptr<Tenant> tenant = *got;
  Result<ReencryptResult> r = Status::Unavailable("not run");
  TKV_RETURN_IF_ERROR(scheduler_->Run(id, SchedParamsOf(tenant->limits().quota()),
                                      static_cast<double>(options_.batch_keys),
                                      [&] { r = tenant->store().Reencrypt(job.after, options_.batch_keys); }));
  TKV_RETURN_IF_ERROR(r.status());
  bool finished = false;
  if (r->reached_end) {
    TKV_ASSIGN_OR_RETURN(finished, FinishPass(*tenant));
  }
  MutexLock lock(mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end() || it->second.generation != job.generation) return false;  // rotated meanwhile
  if (finished) {
    TKV_RETURN_IF_ERROR(FromRocks(storage_->db()->Delete(storage_->meta_write_options(), storage_->system(),
                                                         ReencryptCursorKey(id)),
                                  "remove re-encryption cursor"));
    jobs_.erase(it);
    return true;
  }
  it->second.after = r->reached_end ? std::string() : r->last_key;  // another pass if values were left
  TKV_RETURN_IF_ERROR(PersistCursor(id, it->second.after));
  return false;
}

void KeyLifecycle::DoAutoRotations() {
  std::deque<std::pair<std::string, uint32_t>> todo;
  {
    MutexLock lock(mu_);
    todo.swap(auto_rotate_);
  }
  for (const auto& [id, version] : todo) {
    auto t = registry_->Get(id);
    if (!t.ok() || (*t)->keyring().Current().first != version) continue;  // gone, or rotated already
    auto added = Rotate(id);
    if (!added.ok()) {
      (*t)->seals().Rearm(version);  // the next seal asks again
      continue;
    }
    audit_->Append("system", "key.rotate.auto", id,
                   json{{"version", added->version}, {"retiring", version}, {"reason", "seal_bound"}}.dump())
        .status()
        .IgnoreError();
  }
}

void KeyLifecycle::RunAutoRotationsForTest() { DoAutoRotations(); }

Result<bool> KeyLifecycle::StepForTest(const std::string& id) { return Step(id); }

bool KeyLifecycle::PendingForTest(const std::string& id) const {
  MutexLock lock(mu_);
  return jobs_.count(id) != 0;
}

void KeyLifecycle::Run() {
  // Background work: below the request threads for the CPU.
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 10);
  using Clock = std::chrono::steady_clock;
  size_t next = 0;
  while (true) {
    std::string id;
    {
      MutexLock lock(mu_);
      while (!stopping_ && jobs_.empty() && auto_rotate_.empty()) cv_.Wait(mu_);
      if (stopping_) return;
      if (!auto_rotate_.empty()) {
        lock.Unlock();
        DoAutoRotations();
        continue;
      }
      // Round-robin over the tenants with a job.
      auto it = jobs_.begin();
      std::advance(it, static_cast<long>(next++ % jobs_.size()));
      id = it->first;
    }
    const auto started = Clock::now();
    bool yielded = false;
    if (scheduler_->Queued(id) > 0) {
      yielded = true;  // the tenant's own requests are waiting: they go first
    } else {
      auto r = Step(id);
      (void)r;  // an error (queue full, deadline, I/O) is retried after the pause
    }
    const auto worked = Clock::now() - started;
    auto pause = yielded ? std::chrono::milliseconds(5)
                         : std::chrono::duration_cast<std::chrono::microseconds>(
                               worked * (100 - options_.duty_percent) / std::max(options_.duty_percent, 1));
    pause = std::max<std::chrono::microseconds>(pause, std::chrono::microseconds(500));
    MutexLock lock(mu_);
    const auto deadline = Clock::now() + pause;
    while (!stopping_ && auto_rotate_.empty()) {
      if (!cv_.WaitUntil(mu_, deadline)) break;
    }
    if (stopping_) return;
  }
}

}  // namespace tenantkv::engine
