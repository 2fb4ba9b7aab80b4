// ExportManifest: what a tenant export directory holds and how it is checked.
//
// An export directory holds data-NNNNNN.sst files (the tenant's entries as
// stored: user keys and sealed values, in key order) and manifest.json:
//
//   {"format": "tenantkv-export/1",
//    "body": {"export_id", "created_at_ms", "tenant": {"id", "plan", "created_at_ms"},
//             "quota": {<field>: n...}, "usage": {"keys", "logical_bytes"},
//             "entries": {"keys", "logical_bytes"}, "export_key_id",
//             "files": [{"name", "bytes", "sha256", "entries"}]},
//    "data_keys": [{"version", "wrapped"}]}
//
// `usage` is the tenant's counters and `entries` what was counted in the
// files, both at the export's snapshot (equal unless the counters drifted).
// Data keys are wrapped under the tenant's export wrapping key; the AAD
// binds tenant, export, key version, export key and the SHA-256 of the
// canonical `body`, so an edited manifest no longer unwraps.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "crypto/status.h"
#include "engine/kv/kv_types.h"
#include "engine/quota/quota.h"

namespace tenantkv::engine {

inline constexpr char kExportFormat[] = "tenantkv-export/1";
inline constexpr char kExportManifestName[] = "manifest.json";

struct ExportFile {
  std::string name;    // a plain file name inside the export directory
  int64_t bytes = 0;
  std::string sha256;  // lowercase hex
  int64_t entries = 0;
};

struct ExportedDataKey {
  uint32_t version = 0;
  std::string wrapped;  // raw bytes (hex in JSON)
};

struct ExportManifest {
  std::string export_id;
  int64_t created_at_ms = 0;
  std::string tenant_id;
  std::string plan;
  int64_t tenant_created_at_ms = 0;
  Quota quota;
  Usage usage;    // the tenant's counters at the snapshot
  Usage entries;  // counted in the files
  std::string export_key_id;
  std::vector<ExportFile> files;
  std::vector<ExportedDataKey> data_keys;

  // The canonical JSON of everything but the data keys, and its SHA-256
  // (hex), which the data keys' wrapping binds.
  std::string BodyJson() const;
  std::string BodyDigest() const;
  std::string ToJson() const;
};

// InvalidArgument("export_corrupt") naming what is wrong.
Result<ExportManifest> ParseExportManifest(std::string_view text);

// The AAD context that wraps data key `version` inside `m`.
std::string ExportedKeyContext(const ExportManifest& m, uint32_t version);

// Reads and parses DIR/manifest.json, checking nothing else. InvalidArgument:
// "invalid_dir" (not a directory), "export_corrupt" (manifest missing,
// malformed or over 64 MiB).
Result<ExportManifest> ReadExportManifest(const std::string& dir);

// Reads DIR/manifest.json and checks that every listed file is there with
// its size and SHA-256 and that nothing else is. InvalidArgument:
// "invalid_dir" (not a readable directory), "export_corrupt" (manifest
// missing or malformed), "export_checksum_mismatch" (a file missing, extra,
// resized or changed).
Result<ExportManifest> VerifyExportDir(const std::string& dir);

// Checks an operator-given output directory: an absolute path that is
// absent (its parent must exist; it is created 0700) or an empty directory,
// and not inside `forbidden_root` (the server's data dir).
// InvalidArgument("invalid_dir"). Sets *created when it made the directory.
Status PrepareOutputDir(const std::string& dir, const std::string& forbidden_root, bool* created);

// Writes `text` to dir/name durably: a temporary file, fsync'd, renamed
// over it, then the directory fsync'd.
Status WriteFileDurably(const std::string& dir, const std::string& name, const std::string& text);

}  // namespace tenantkv::engine
