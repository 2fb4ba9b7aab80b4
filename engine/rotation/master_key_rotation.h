// MasterKeyRotator: online master-key rotation.
//
// A rotation (1) makes a new master version current in the KeyProvider,
// with tenant creates and imports paused for that instant, (2) rewraps
// every tenant's data keys and export key under it — one synced batch per
// tenant, holding that tenant's key mutex, while requests go on — and
// destroys key records left by deletes that did not finish, (3) checks by
// a full scan that nothing is wrapped under any other version, and (4)
// retires (destroys) every older version in the provider. Nothing is
// re-encrypted: values stay sealed under their data keys.
//
// Progress is persisted in the system column family:
//   mkey/rotation   JSON {from, to, state: switching|rewrapping|retiring|done,
//                         started_at_ms, finished_at_ms, tenants, keys,
//                         leftovers, retired: [..]}
// Each step is idempotent, so a rotation interrupted anywhere (kill -9
// included) resumes at the next start and finishes; at every point each
// key record is wrapped under a version the provider still holds.
// Thread-safe; one rotation runs at a time.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "crypto/keys/key_provider.h"
#include "crypto/mutex.h"
#include "engine/audit/audit_log.h"
#include "engine/clock.h"
#include "engine/storage/storage.h"
#include "engine/storage/system_keys.h"
#include "engine/tenants/tenant_registry.h"

namespace tenantkv::engine {

// What one run of a rotation did (a resumed run counts its own work only).
struct MasterKeyRotationReport {
  uint32_t from = 0;                // the version that was current before
  uint32_t to = 0;                  // the new current version
  size_t tenants = 0;               // tenants whose keys were rewrapped
  size_t keys_rewrapped = 0;        // data keys and export keys
  size_t leftovers_destroyed = 0;   // key records of tenants that are gone
  std::vector<uint32_t> retired;    // master versions destroyed
  int64_t duration_ms = 0;
  bool resumed = false;             // finished a rotation an earlier run began
};

// The persisted state of the last rotation.
struct MasterKeyRotationRecord {
  uint32_t from = 0;
  uint32_t to = 0;                  // 0 until the switch is recorded
  std::string state;                // "" (never rotated) | switching | rewrapping | retiring | done
  int64_t started_at_ms = 0;
  int64_t finished_at_ms = 0;
  size_t tenants = 0;
  size_t keys = 0;
  size_t leftovers = 0;
  std::vector<uint32_t> retired;
};

struct MasterKeyStatus {
  std::string provider;                        // KeyProvider::Describe()
  uint32_t current = 0;
  std::vector<uint32_t> versions;              // held by the provider
  std::map<uint32_t, size_t> keys_per_master;  // wrapped-key records per version (full scan)
  bool running = false;                        // a rotation is running now
  MasterKeyRotationRecord last;                // state "" if never rotated
};

class MasterKeyRotator {
 public:
  static constexpr const char* kRecordKey = kMasterKeyRotationKey;

  // All pointers must outlive the rotator.
  MasterKeyRotator(Storage* storage, crypto::KeyProvider* keys, TenantRegistry* registry,
                   AuditLog* audit, const Clock* clock);
  // Stops a running rotation between two tenants (it resumes at the next
  // start) and joins the background thread.
  ~MasterKeyRotator();

  // At start: if the last rotation did not finish, finishes it on a
  // background thread (audit actor "system"). Errors only if the record
  // cannot be read.
  Status ResumeInBackground();
  // Waits for the background resume, if any (tests, tools).
  void WaitForBackground();

  // Rotates now, or finishes an interrupted rotation first if there is one
  // (report.resumed). AlreadyExists("rotation_in_progress") while another
  // runs; Unavailable("shutting_down") if stopped midway (resumes at start);
  // DataLoss if a key record does not unwrap.
  Result<MasterKeyRotationReport> Rotate();

  Result<MasterKeyStatus> CurrentStatus() const;

  // Called after each tenant's batch with the number of tenants done; a
  // non-OK status stops the rotation there, as a crash would.
  void SetTenantHookForTest(std::function<Status(size_t)> hook) { hook_ = std::move(hook); }
  // Other material wrapped by the master key (webhook secrets): rewrapped
  // under `to` after the tenants' keys, before older versions are retired;
  // an error stops the rotation there (it resumes at the next start). Set
  // before ResumeInBackground().
  void SetExtraRewrap(std::function<Status(uint32_t to)> rewrap) { extra_rewrap_ = std::move(rewrap); }

 private:
  Result<MasterKeyRotationRecord> Load() const;
  Status Save(const MasterKeyRotationRecord& r);
  Result<MasterKeyRotationReport> Run(MasterKeyRotationRecord r, bool resumed) REQUIRES(run_mu_);
  Status Rewrap(MasterKeyRotationRecord& r, MasterKeyRotationReport& report);
  Status RewrapOne(const std::string& id, uint32_t to, MasterKeyRotationReport& report);

  Storage* const storage_;
  crypto::KeyProvider* const keys_;
  TenantRegistry* const registry_;
  AuditLog* const audit_;
  const Clock* const clock_;
  Mutex run_mu_;  // held for a whole rotation
  std::atomic<bool> running_{false};
  std::atomic<bool> stopping_{false};
  std::function<Status(size_t)> hook_;
  std::function<Status(uint32_t)> extra_rewrap_;
  std::thread background_;
};

}  // namespace tenantkv::engine
