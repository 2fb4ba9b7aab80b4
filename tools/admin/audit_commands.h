// audit: the hash-chained log of admin actions (operator token).
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "tools/admin/admin_command.h"

namespace tenantkv::tools {

struct AuditFilter {
  std::optional<std::string> tenant;
  std::optional<std::string> since;  // a seq: entries after it
  std::optional<std::string> limit;
};

// GET /admin/v1/audit[?tenant=..&since=..&limit=..]: a table of entries,
// then the --since value of the next page if there is one.
AdminCommand ListAudit(const AuditFilter& filter);

// GET /admin/v1/audit/verify: "audit chain ok: N entries, head H"; a broken
// chain fails (exit 1) with "audit chain broken at seq N: REASON".
AdminCommand VerifyAudit();

void AddAuditCommand(CLI::App& app, CommandSlot& slot);

}  // namespace tenantkv::tools
