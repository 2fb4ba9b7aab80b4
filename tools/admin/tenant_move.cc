#include "tools/admin/tenant_move.h"

#include <iostream>
#include <sstream>
#include <thread>
#include <utility>

#include "tools/admin/admin_routes.h"
#include "tools/admin/cli_errors.h"
#include "tools/admin/command_args.h"
#include "tools/admin/json_table.h"
#include "tools/admin/problem_details.h"
#include "tools/admin/terminal_text.h"

namespace tenantkv::tools {
namespace {

std::string StringAt(const Json& object, const char* name) {
  const Json* v = FindPath(object, name);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

Result<Json> ParseTenant(const HttpResponse& response) {
  Json body = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    return Status::Internal("the server answered " + std::to_string(response.status) + " without a tenant",
                            "bad_answer");
  }
  return body;
}

std::string Quoted(const std::string& id) { return "'" + OneLine(id) + "'"; }

std::string StartedLine(const std::string& id, const std::string& target, const Json& tenant) {
  const MoveProgress p = JudgeMove(tenant, target);
  std::string line = "moving tenant " + Quoted(id) + " from " + OneLine(p.node) + " to " + OneLine(target);
  if (!p.state.empty()) line += ": " + ProgressText(p);
  return line + "\n";
}

std::string AlreadyLine(const std::string& id, const std::string& target) {
  return "tenant " + Quoted(id) + " is already on " + OneLine(target) + "\n";
}

// "600 s", "0.5 s".
std::string Seconds(double seconds) {
  std::ostringstream text;
  text << seconds << " s";
  return text.str();
}

std::string Pretty(const Json& body) { return body.dump(2, ' ', false, Json::error_handler_t::replace) + "\n"; }

// --wait: start, then read the tenant every poll_interval until the move ends.
Result<CommandOutput> MoveAndWait(const std::string& id, const std::string& target, const MoveWaitOptions& options,
                                  HttpTransport& transport, bool json_output) {
  std::ostream& out = options.progress != nullptr ? *options.progress : std::cout;
  TKV_ASSIGN_OR_RETURN(MoveStart start, StartMove(transport, id, target));
  if (!start.started) return CommandOutput{json_output ? Pretty(start.tenant) : AlreadyLine(id, target), kExitOk};
  if (!json_output) out << StartedLine(id, target, start.tenant) << std::flush;
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(options.timeout_seconds));
  std::string last_line = ProgressText(JudgeMove(start.tenant, target));
  Json last_tenant = start.tenant;
  while (true) {
    std::this_thread::sleep_for(options.poll_interval);
    TKV_ASSIGN_OR_RETURN(std::optional<MoveRead> read, PollMove(transport, id, target));
    if (read) {
      last_tenant = std::move(read->tenant);
      const MoveProgress& progress = read->progress;
      if (progress.phase == MovePhase::kFailed) {
        return Status::FailedPrecondition("move of tenant " + Quoted(id) + " to " + OneLine(target) + " failed: " +
                                              OneLine(progress.error.empty() ? "no reason given" : progress.error),
                                          "move_failed");
      }
      if (progress.phase == MovePhase::kDone) {
        if (json_output) return CommandOutput{Pretty(last_tenant), kExitOk};
        std::string done = "tenant " + Quoted(id) + " moved to " + OneLine(target);
        if (progress.copied_keys) done += " (" + std::to_string(*progress.copied_keys) + " keys copied)";
        return CommandOutput{done + "\n", kExitOk};
      }
      const std::string line = ProgressText(progress);
      if (line != last_line && !json_output) out << OneLine(id) << ": " << line << "\n" << std::flush;
      last_line = line;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::Unavailable("tenant " + Quoted(id) + " is still moving to " + OneLine(target) + " (" +
                                     last_line + ") after " + Seconds(options.timeout_seconds) +
                                     "; follow it with `tenants show " + OneLine(id) + "`",
                                 "move_timeout");
    }
  }
}

}  // namespace

std::string TenantMovePath(const std::string& tenant) { return TenantPath(tenant) + "/move"; }

MoveProgress JudgeMove(const Json& tenant, const std::string& target) {
  MoveProgress p;
  p.node = StringAt(tenant, "node");
  const Json* move = FindPath(tenant, "node_move");
  const bool ours = move != nullptr && move->is_object() &&
                    (!move->contains("to") || StringAt(*move, "to") == target);
  if (ours) {
    p.state = StringAt(*move, "state");
    const Json* copied = FindPath(*move, "copied_keys");
    if (copied != nullptr && copied->is_number_integer()) p.copied_keys = copied->get<std::int64_t>();
    p.error = StringAt(*move, "error");
  }
  if (ours && p.state == "failed") {
    p.phase = MovePhase::kFailed;
  } else if (p.node == target && (!ours || p.state == "done")) {
    p.phase = MovePhase::kDone;
  }
  return p;
}

Result<MoveStart> StartMove(HttpTransport& transport, const std::string& tenant, const std::string& target) {
  Result<HttpResponse> r = transport.Send({"POST", TenantMovePath(tenant), Json{{"node", target}}});
  if (!r.ok()) return r.status();
  if (r->status < 200 || r->status >= 300) return HttpErrorStatus(r->status, r->body);
  TKV_ASSIGN_OR_RETURN(Json body, ParseTenant(*r));
  // 200 is the server's "already there"; the owner in the body says the
  // same to a client that only looks at the body.
  const bool started = r->status == 202 && StringAt(body, "node") != target;
  return MoveStart{started, std::move(body)};
}

Result<std::optional<MoveRead>> PollMove(HttpTransport& transport, const std::string& tenant,
                                         const std::string& target) {
  Result<HttpResponse> r = transport.Send({"GET", TenantPath(tenant), std::nullopt});
  if (!r.ok() || r->status >= 500) return std::optional<MoveRead>();
  if (r->status < 200 || r->status >= 300) return HttpErrorStatus(r->status, r->body);
  TKV_ASSIGN_OR_RETURN(Json body, ParseTenant(*r));
  MoveProgress progress = JudgeMove(body, target);
  return std::optional<MoveRead>(MoveRead{std::move(progress), std::move(body)});
}

std::string ProgressText(const MoveProgress& progress) {
  std::string text = progress.state.empty() ? std::string("no move shown") : OneLine(progress.state);
  if (progress.copied_keys) text += ", " + std::to_string(*progress.copied_keys) + " keys copied";
  return text;
}

AdminCommand TenantsMove(const std::string& id, const std::string& node, const MoveWaitOptions& options) {
  // Rendered from the body alone: the owner it names is the target only
  // when the tenant was there already (the 200).
  const Renderer render = [id, node](const Json& tenant) {
    return StringAt(tenant, "node") == node ? AlreadyLine(id, node) : StartedLine(id, node, tenant);
  };
  AdminCommand c{{"POST", TenantMovePath(id), Json{{"node", node}}}, render};
  if (options.wait) {
    c.program = [id, node, options](HttpTransport& transport, const ProgramContext& context) {
      return MoveAndWait(id, node, options, transport, context.json_output);
    };
  }
  return c;
}

void AddTenantMoveCommand(CLI::App& tenants, CommandSlot& slot) {
  CLI::App* cmd = tenants.add_subcommand(
      "move", "Move a tenant to another cluster node, online (writes pause briefly at the switch)");
  CLI::Option* id = AddRequiredArg(*cmd, "id", "Tenant id");
  CLI::Option* node = cmd->add_option("--node", "The node to move it to")->required();
  CLI::Option* wait = cmd->add_flag("--wait", "Follow the move until it is done or failed");
  // Named as asked for, it hides the global --timeout when given after the
  // command: the HTTP timeout then goes before it (docs/api.md says so).
  CLI::Option* timeout = cmd->add_option("--timeout", "With --wait: give up following it after SECONDS (default 600)")
                             ->check(CLI::Range(0.001, 7 * 24 * 3600.0));
  cmd->callback([&slot, id, node, wait, timeout] {
    MoveWaitOptions o;
    o.wait = wait->count() > 0;
    if (timeout->count() > 0) {
      if (!o.wait) {
        slot.emplace(UsageError("tenants move: --timeout only goes with --wait"));
        return;
      }
      o.timeout_seconds = timeout->as<double>();
    }
    slot.emplace(TenantsMove(id->as<std::string>(), node->as<std::string>(), o));
  });
}

}  // namespace tenantkv::tools
