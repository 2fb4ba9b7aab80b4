// tenantkv-admin requests list|approve|reject: the quota change requests
// tenant admins filed, and the operators' decisions on them.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "tools/admin/admin_command.h"

namespace tenantkv::tools {

struct RequestListOptions {
  std::optional<std::string> state;   // pending, approved or rejected (judged by the server)
  std::optional<std::string> tenant;
  std::optional<std::string> limit;
  std::optional<std::string> start_after;
  bool all = false;
};

// GET /admin/v1/quota-requests: one line per request, oldest first.
AdminCommand RequestsList(const RequestListOptions& options);
// POST /admin/v1/quota-requests/{rid}/approve {"comment"?}: the request,
// applied, or still pending for another operator's approval (four eyes).
AdminCommand RequestsApprove(const std::string& rid, const std::optional<std::string>& comment);
// POST /admin/v1/quota-requests/{rid}/reject {"comment"?}.
AdminCommand RequestsReject(const std::string& rid, const std::optional<std::string>& comment);

void AddRequestCommands(CLI::App& app, CommandSlot& slot);

}  // namespace tenantkv::tools
