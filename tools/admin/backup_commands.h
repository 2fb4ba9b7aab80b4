// export, import, handover and backup: tenant exports and node backups.
//
// Paths name directories on the server's host: the server reads and writes
// them, not this tool. Passphrases are read from files (never the command
// line, where other users see them in the process list).
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "crypto/status.h"
#include "tools/admin/admin_command.h"

namespace tenantkv::tools {

// POST /admin/v1/tenants/{tenant}/export {"dir":out[,"verify":true]}.
AdminCommand ExportTenant(const std::string& tenant, const std::string& out_dir, bool verify);

// POST /admin/v1/tenants/import {"dir":dir,"dry_run":true,...}: checks an
// export (files, checksums, manifest, keys, every value) without importing.
AdminCommand VerifyExport(const std::string& dir, const std::optional<Json>& handover,
                          const std::string& passphrase);

// POST /admin/v1/tenants/import {"dir":dir[,"id":as][,"plan":plan][,"handover",...]}.
AdminCommand ImportTenant(const std::string& dir, const std::optional<std::string>& as,
                          const std::optional<std::string>& plan, const std::optional<Json>& handover,
                          const std::string& passphrase);

// POST /admin/v1/tenants/{tenant}/handover {"passphrase":...}; prints the
// handover (one JSON line, to keep in a file for `import --handover`).
AdminCommand Handover(const std::string& tenant, const std::string& passphrase);

// POST /admin/v1/backup {"dir":dir}.
AdminCommand BackupNode(const std::string& dir);

// The passphrase in `path` (one trailing newline dropped); UsageError if
// it cannot be read.
Result<std::string> ReadPassphraseFile(const std::string& path);
// The handover JSON in `path` (a handover command's output, or its --json
// answer); UsageError if it is not one.
Result<Json> ReadHandoverFile(const std::string& path);

void AddBackupCommands(CLI::App& app, CommandSlot& slot);

}  // namespace tenantkv::tools
