// The on-disk format of a data directory, recorded in the system column
// family under kFormatVersionKey (system_keys.h) as a decimal number.
//
//   1  before issue 14: TenantInfo without "incarnation", API-key records
//      without "tenant_incarnation", no purge/ records. A directory without
//      the version record is format 1.
//   2  tenants have an incarnation and API keys are bound to it; deletes are
//      persisted ("deleting"); purges a snapshot held back are recorded
//      under purge/.
//   3  the pooled placement tier: "pool:<column family>/<prefix>" placements,
//      the pool/next_prefix record and pooled column families (p.*, opened
//      with a prefix extractor). Nothing in a format-2 directory changes
//      shape, so 2 -> 3 has no step; the bump makes an older binary refuse a
//      directory that may hold pooled tenants.
//   4  API key records may carry "name" and "expires_at_ms". A format-3
//      record is a format-4 key without them, so 3 -> 4 has no step; the
//      bump makes an older binary refuse a directory whose keys it would
//      read without their expiry, and so authenticate after it.
//
// Every change to the shape of a persisted record bumps kCurrentFormatVersion
// and adds a migration step from the previous version.
//
// Storage::Open reads the version before it opens the DB for writing, with
// a read-only open that writes no file: a directory newer than this binary
// is refused and left byte for byte as it was. An older directory is
// migrated in steps that are each idempotent and fsync'd; the version
// record is written last (fsync'd), so a crash in between leaves the old
// version on disk and the next open runs the steps again.
#pragma once

#include <rocksdb/db.h>

#include <functional>
#include <string>
#include <string_view>

#include "crypto/status.h"

namespace tenantkv::engine {

inline constexpr int kCurrentFormatVersion = 4;
// What a directory without the record holds (it may also be empty).
inline constexpr int kFirstFormatVersion = 1;

// What an open found and did, for the start-up log.
struct FormatMigration {
  int found = 0;  // version on disk before the open; 0 = a new directory
  int now = 0;    // version on disk after the open (kCurrentFormatVersion)
  size_t tenants_given_incarnation = 0;
  size_t api_keys_bound = 0;    // bound to the incarnation of their tenant
  size_t api_keys_removed = 0;  // older than their tenant: of a deleted one
  bool migrated() const { return found != 0 && found != now; }
  // One line: "format 2 (new directory)", "format 2", or what a migration did.
  std::string Summary() const;
};

// Called after each migration step with its name; an error stops the
// migration there (tests simulate a crash with it).
using MigrationStepHook = std::function<Status(std::string_view step)>;

// The format of the DB at `path`, read without writing anything: 0 if
// there is no DB or it has no system column family `system_cf` yet,
// kFirstFormatVersion if the record is absent. DataLoss("format_unreadable")
// if the record is not a version number.
Result<int> ProbeFormatVersion(const std::string& path, const std::string& system_cf);

// Ok if this binary can open a directory of format `found` (after a
// migration if it is older). FailedPrecondition("format_too_new") if it is
// newer than kCurrentFormatVersion.
Status CheckFormatVersion(const std::string& path, int found);

// Brings the open DB from format `found` (0: new directory) to
// kCurrentFormatVersion, writing the version record last. Nothing else may
// use the DB meanwhile. A no-op when `found` is already current.
Result<FormatMigration> MigrateFormat(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* system, int found,
                                      const MigrationStepHook& after_step_for_test);

}  // namespace tenantkv::engine
