// Tenancy as code: `apply -f FILE`, `plan -f FILE` and `export-config`.
// They read and change the server only through the admin routes (plans,
// tenants, quota, API keys), so a file works against any node.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <ostream>
#include <string>

#include "crypto/status.h"
#include "tools/admin/admin_command.h"
#include "tools/admin/tenancy_diff.h"

namespace tenantkv::tools {

struct ApplyOptions {
  std::string file;                     // -f: the tenancy file, YAML or JSON (.json)
  bool dry_run = false;                 // --dry-run (and `plan`): print the diff, change nothing
  bool prune = false;                   // --prune: delete tenants and revoke named keys not in the file
  bool yes = false;                     // --yes: confirms tenant deletions of --prune
  std::optional<std::string> reason;    // --reason: Tenantkv-Change-Reason of every change
  std::optional<std::string> keys_out;  // --keys-out: append new keys' tokens here (0600), not stdout
};

// The live state that `spec` is compared with: every plan, every tenant
// (all pages), and the active named keys of the tenants whose keys the file
// manages (every tenant's when `spec` is null: export-config).
Result<LiveState> FetchLiveState(HttpTransport& transport, const TenancySpec* spec);

// Reads the file (an invalid one: InvalidArgument naming the path, before
// any request), fetches the live state, diffs. A dry run writes the diff
// lines and a summary to `out` and returns kExitDrift when there is a
// change, else 0. Otherwise it makes each change in order, writing its
// lines as it is made, and each new key's token (to `out`, or one JSON line
// per key appended to the --keys-out file, created 0600 and refused when
// others may read it); every changing request carries
// "Tenantkv-Change-Source: apply:sha256:<hex of the file>" and the reason.
// A prune that deletes tenants without `yes` is a UsageError before any
// change. A failed request stops the run: the error names the change and
// how many were made.
Result<int> RunApply(const ApplyOptions& options, HttpTransport& transport, std::ostream& out);

// The live state as a tenancy file (ExportTenancy): JSON when `output`
// ends in ".json", else YAML; to `output`, or `out` when it is empty.
Status RunExport(const std::string& output, HttpTransport& transport, std::ostream& out);

// Registers apply, plan and export-config under `app`.
void AddTenancyCommands(CLI::App& app, CommandSlot& slot);

}  // namespace tenantkv::tools
