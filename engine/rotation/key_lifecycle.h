// KeyLifecycle: data-key rotation, background re-encryption and the
// destruction of versions no value uses any more.
//
// Rotate() makes a new data-key version current at once (new writes are
// sealed with it) and, in the same fsync'd batch, starts a re-encryption
// cursor (system_keys.h). One background thread then walks each such
// tenant's values in key order, a few at a time, re-sealing those still on
// an older version (TenantStore::Reencrypt). Each step runs through the
// FairScheduler as the tenant itself, so it is paid from the tenant's own
// share, and the job stays out of the tenant's way: a step is skipped
// while the tenant has requests waiting for the scheduler, the thread runs
// at a lower CPU priority, and after each step it pauses so that it works at
// most `duty_percent` of the wall time. Progress is persisted after every
// step; after a crash the job resumes from there (Start()).
//
// Once a pass reaches the end, every retiring version whose exact value
// count is 0 is destroyed (its wrapped key deleted and purged, "destroyed"
// in the listing) with a "key.destroy" audit entry; if some value is still
// on a retiring version (a write that sealed just before a rotation), another
// pass starts. A rotation during a pass restarts the pass, so several
// versions may be retiring at once.
//
// Seal-bound rotations (SealCounter) are requested with RequestAutoRotate()
// from a writer's thread and done by the background thread ("key.rotate.auto"
// audit entry, actor "system"). Thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "crypto/mutex.h"
#include "crypto/status.h"
#include "engine/audit/audit_log.h"
#include "engine/clock.h"
#include "engine/quota/fair_scheduler.h"
#include "engine/storage/storage.h"
#include "engine/tenants/tenant_registry.h"

namespace tenantkv::engine {

struct KeyLifecycleOptions {
  size_t batch_keys = 32;  // stored entries examined per re-encryption step, >= 1
  int duty_percent = 20;   // most of the wall time the job may spend working, 1..100
  bool background = true;  // false: no thread; tests drive StepForTest()
};

// One data-key version as GET .../keys shows it.
struct KeyVersionStatus {
  uint32_t version = 0;
  std::string state;  // "active" | "retiring" | "destroyed"
  int64_t created_at_ms = 0;
  uint32_t master_version = 0;
  uint64_t seals = 0;   // seals counted under it (never fewer than made)
  int64_t values = 0;   // values still sealed under it (exact)
};

struct KeyStatus {
  std::vector<KeyVersionStatus> versions;  // oldest first
  bool reencrypting = false;               // a re-encryption pass is pending or running
};

class KeyLifecycle {
 public:
  // Every pointer must outlive the object.
  KeyLifecycle(Storage* storage, TenantRegistry* registry, FairScheduler* scheduler, AuditLog* audit,
               KeyLifecycleOptions options);
  ~KeyLifecycle();  // Stop()

  // Finds the re-encryptions that were running (cursor records, retiring
  // versions) and starts the background thread (if `background`).
  Status Start();
  // Stops the thread; a running step finishes first. Idempotent.
  void Stop();

  // A new data-key version for tenant `id` (see above). NotFound
  // ("tenant_not_found") if there is no such tenant. The caller writes the
  // audit entry.
  Result<DataKeyInfo> Rotate(const std::string& id);
  // Every version of tenant `id`, with seal and value counts.
  Result<KeyStatus> Describe(const std::string& id) const;
  // Asks the background thread to rotate `id` if `version` is still its
  // current one. Returns at once.
  void RequestAutoRotate(const std::string& id, uint32_t version);

  // Test hooks (with background = false): one re-encryption step of `id`
  // (returns true once its job is finished, nothing left to do), and the
  // pending seal-bound rotations done now.
  Result<bool> StepForTest(const std::string& id);
  void RunAutoRotationsForTest();
  bool PendingForTest(const std::string& id) const;

 private:
  struct Job {
    std::string after;       // resume after this key
    uint64_t generation = 0; // bumped by each rotation (restarts the pass)
  };
  void Run();
  // One step of tenant `id`'s job; true when it is finished.
  Result<bool> Step(const std::string& id);
  // After a pass: destroys the drained retiring versions; true if none is
  // left, false if another pass is needed.
  Result<bool> FinishPass(Tenant& tenant);
  Status PersistCursor(const std::string& id, const std::string& after);
  // The values of tenant `t` stored under `version`.
  Result<int64_t> ValuesOn(Tenant& t, uint32_t version) const;
  void DoAutoRotations();

  Storage* const storage_;
  TenantRegistry* const registry_;
  FairScheduler* const scheduler_;
  AuditLog* const audit_;
  const KeyLifecycleOptions options_;

  mutable Mutex mu_;
  CondVar cv_;
  std::map<std::string, Job> jobs_ GUARDED_BY(mu_);
  std::deque<std::pair<std::string, uint32_t>> auto_rotate_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace tenantkv::engine
