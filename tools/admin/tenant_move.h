// tenants move: moving a tenant to another cluster node, online
// (POST /admin/v1/tenants/{id}/move), and following the move by reading the
// tenant until it is done or failed. `cluster rebalance --apply` starts and
// follows its moves with the same pieces.
#pragma once

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

#include "crypto/status.h"
#include "tools/admin/admin_command.h"

namespace tenantkv::tools {

// "/admin/v1/tenants/{id}/move"
std::string TenantMovePath(const std::string& tenant);

// How a move to a node stands, as the tenant JSON tells it.
enum class MovePhase { kRunning, kDone, kFailed };

struct MoveProgress {
  MovePhase phase = MovePhase::kRunning;
  std::string node;                         // the tenant's owner now
  std::string state;                        // node_move.state ("" without node_move)
  std::optional<std::int64_t> copied_keys;  // node_move.copied_keys
  std::string error;                        // node_move.error of a failed move
};

// Judges `tenant` (the tenant JSON) for a move to `target`. Done: `node` is
// the target and node_move is "done" or absent; failed: node_move is
// "failed"; else running. A node_move to another node is an older move's
// record and counts as absent.
MoveProgress JudgeMove(const Json& tenant, const std::string& target);

// The answer to a move request: started (202), or the tenant is on the
// target already (200, nothing started).
struct MoveStart {
  bool started = false;
  Json tenant;  // the answer's tenant JSON
};
// POST /admin/v1/tenants/{id}/move {"node": target}. Errors: the transport's,
// HttpErrorStatus() for a non-2xx answer (409 move_in_progress, ...).
Result<MoveStart> StartMove(HttpTransport& transport, const std::string& tenant, const std::string& target);

// One read of the tenant (GET /admin/v1/tenants/{id}), judged for `target`.
// nullopt when the read says nothing either way: no answer, or a 5xx (the
// tenant may be unreachable for a moment while it switches nodes); a 4xx
// is an error.
struct MoveRead {
  MoveProgress progress;
  Json tenant;
};
Result<std::optional<MoveRead>> PollMove(HttpTransport& transport, const std::string& tenant,
                                         const std::string& target);

// "copying, 1200 keys copied" / "switching": a move's progress on one line.
std::string ProgressText(const MoveProgress& progress);

struct MoveWaitOptions {
  bool wait = false;                                 // --wait: follow the move to its end
  double timeout_seconds = 600;                      // --timeout: how long --wait follows it
  std::chrono::milliseconds poll_interval{500};      // between two reads of the tenant
  std::ostream* progress = nullptr;                  // progress lines (--wait); nullptr = std::cout
};

// Without --wait: the move request, rendered as one line (started, or
// already there); --json gives the answer. With --wait: a program that
// starts the move, prints a line each time its state or copied keys change,
// and ends with exit 0 when it is done, an error (exit 1) when it failed or
// is still running after timeout_seconds; --json prints only the tenant's
// last JSON.
AdminCommand TenantsMove(const std::string& id, const std::string& node, const MoveWaitOptions& options = {});

// Registers "tenants move" under `tenants`.
void AddTenantMoveCommand(CLI::App& tenants, CommandSlot& slot);

}  // namespace tenantkv::tools
