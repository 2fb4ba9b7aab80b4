// TenantImporter: a tenant export (tenant_export.h) back into a node.
//
// Everything is checked before the node changes: the files against the
// manifest's checksums, the target id (free), the export's data keys (they
// must unwrap under the source tenant's export wrapping key — this node's
// own, or one brought by a handover), and every value (it must open).
// The values are then re-sealed for the new tenant under a fresh data key
// into SST files in a staging directory of the data dir, which become the
// new tenant's column family in one step (RocksDB ingestion); its usage
// counters are the entries counted. A crash before the tenant record is
// written leaves an unowned column family, dropped at the next start.
// Thread-safe.
#pragma once

#include <memory>
#include <string>

#include "engine/backup/export_manifest.h"
#include "engine/tenants/tenant_registry.h"

namespace tenantkv::engine {

struct ImportRequest {
  std::string dir;         // the export directory on the server host
  std::string id;          // the new tenant's id; empty = the exported one
  std::string plan;        // empty = the exported one
  // column_family or dedicated (tenant_placement.h); pooled is refused.
  Tier tier = Tier::kColumnFamily;
  std::string handover;    // export_handover.h JSON; empty = this node's key
  std::string passphrase;  // opens `handover`
  // Check the export only (files, keys, every value), change nothing; the
  // target id is not checked.
  bool dry_run = false;
};

struct ImportOutcome {
  std::string tenant;         // the id imported as
  ExportManifest manifest;
  Usage entries;              // entries checked (and imported)
  std::shared_ptr<Tenant> created;  // nullptr on a dry run
};

class TenantImporter {
 public:
  // `registry` must outlive the importer; staging directories are made in
  // `staging_root` (on the DB's filesystem, so ingestion can hard-link).
  TenantImporter(TenantRegistry* registry, std::string staging_root)
      : registry_(registry), staging_root_(std::move(staging_root)) {}

  // Errors, all before any change: InvalidArgument "invalid_dir",
  // "export_corrupt", "export_checksum_mismatch", "export_undecryptable"
  // (the export's keys cannot be opened here: its tenant was deleted, or it
  // comes from another node and no handover was given), "bad_handover",
  // "handover_undecryptable", "handover_mismatch", "weak_passphrase",
  // "invalid_tenant_id", "unknown_plan"; AlreadyExists("tenant_exists").
  Result<ImportOutcome> Import(const ImportRequest& request);

  // Removes staging directories left by a crash (call before serving).
  static void CleanStaging(const std::string& staging_root);

 private:
  Result<ExportKey> ExportKeyFor(const ExportManifest& m, const ImportRequest& r);

  TenantRegistry* const registry_;
  const std::string staging_root_;
};

}  // namespace tenantkv::engine
