// TenantExporter: one tenant's data as a backup, still encrypted.
//
// An export is a directory on the server host (see export_manifest.h): the
// tenant's entries as stored (sealed values), read from one RocksDB
// snapshot while its traffic goes on, plus a manifest whose data keys are
// wrapped under the tenant's export wrapping key. That key stays on the
// node (wrapped under the master key) and is destroyed with the tenant, so
// an export never holds usable key material and opens nowhere once the
// tenant is deleted. Thread-safe.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "engine/quota/quota_store.h"
#include "engine/tenants/tenant_registry.h"

namespace tenantkv::engine {

struct ExportSummary {
  std::string export_id;
  std::string tenant;
  std::string dir;
  Usage usage;      // the tenant's counters at the snapshot
  Usage entries;    // entries written (equal to usage unless counters drifted)
  size_t files = 0;     // data files
  int64_t bytes = 0;    // data file bytes
  int64_t created_at_ms = 0;
};

class TenantExporter {
 public:
  // Pointers must outlive the exporter. `data_dir` is the server's data
  // directory, which an export may not be written into.
  TenantExporter(TenantRegistry* registry, QuotaStore* quotas, const Clock* clock, std::string data_dir)
      : registry_(registry), quotas_(quotas), clock_(clock), data_dir_(std::move(data_dir)) {}

  // Writes tenant `id` into `dir` (absent or empty; see PrepareOutputDir).
  // NotFound("tenant_not_found"), InvalidArgument("invalid_dir"). On
  // failure nothing of the export is left in `dir`.
  Result<ExportSummary> Export(const std::string& id, const std::string& dir);

  // The tenant's export wrapping key for another node (export_handover.h).
  Result<std::string> Handover(const std::string& id, std::string_view passphrase);

  // Called by each export while it holds its snapshot, before its scan. Set
  // before any export runs.
  void SetSnapshotHookForTest(std::function<void()> hook) { snapshot_hook_ = std::move(hook); }

 private:
  Result<ExportSummary> Write(Tenant& tenant, const std::string& dir);

  TenantRegistry* const registry_;
  QuotaStore* const quotas_;
  const Clock* const clock_;
  const std::string data_dir_;
  std::function<void()> snapshot_hook_;
};

}  // namespace tenantkv::engine
