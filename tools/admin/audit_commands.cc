#include "tools/admin/audit_commands.h"

#include "tools/admin/command_args.h"
#include "tools/admin/cli_errors.h"
#include "tools/admin/percent_encoding.h"
#include "tools/admin/terminal_text.h"
#include "tools/admin/text_table.h"

namespace tenantkv::tools {
namespace {

constexpr char kAuditPath[] = "/admin/v1/audit";

std::string Text(const Json& j, const char* key) {
  if (!j.contains(key)) return "";
  return OneLine(j[key].is_string() ? j[key].get<std::string>() : j[key].dump());
}

std::string RenderEntries(const Json& body) {
  TextTable table({"SEQ", "TIME", "ACTOR", "ACTION", "TENANT", "DETAILS"});
  const Json entries = body.value("entries", Json::array());
  for (const auto& e : entries) {
    table.AddRow({Text(e, "seq"), Text(e, "time"), Text(e, "actor"), Text(e, "action"), Text(e, "tenant"),
                  Text(e, "details")});
  }
  std::string out = entries.empty() ? "no audit entries\n" : table.Render();
  if (body.contains("next") && body["next"].is_number_unsigned()) {
    out += "more: --since " + body["next"].dump() + "\n";
  }
  return out;
}

std::string RenderVerdict(const Json& body) {
  return "audit chain ok: " + Text(body, "entries") + " entries, head " +
         (Text(body, "head").empty() ? "(empty log)" : Text(body, "head")) + "\n";
}

Status CheckVerdict(const Json& body) {
  if (body.value("ok", false)) return Status::Ok();
  return Status::FailedPrecondition("audit chain broken at seq " + Text(body, "broken_at") + ": " +
                                        Text(body, "reason"),
                                    "audit_chain_broken");
}

}  // namespace

AdminCommand ListAudit(const AuditFilter& filter) {
  std::string query;
  auto add = [&query](const char* name, const std::optional<std::string>& v) {
    if (!v) return;
    query += (query.empty() ? "?" : "&") + std::string(name) + "=" + EncodePathSegment(*v);
  };
  add("tenant", filter.tenant);
  add("since", filter.since);
  add("limit", filter.limit);
  return {{"GET", kAuditPath + query, std::nullopt}, RenderEntries};
}

AdminCommand VerifyAudit() {
  AdminCommand command{{"GET", std::string(kAuditPath) + "/verify", std::nullopt}, RenderVerdict};
  command.check = CheckVerdict;
  return command;
}

void AddAuditCommand(CLI::App& app, CommandSlot& slot) {
  CLI::App* cmd = app.add_subcommand("audit", "List the audit log of admin actions, or --verify its hash chain");
  CLI::Option* tenant = cmd->add_option("--tenant", "Only entries about this tenant");
  CLI::Option* since = cmd->add_option("--since", "Only entries after this seq (the 'more: --since' of a page)");
  CLI::Option* limit = cmd->add_option("--limit", "At most this many entries (1 to 1000; default 100)");
  CLI::Option* verify = cmd->add_flag("--verify", "Check the whole hash chain; exit 1 if it is broken");
  cmd->callback([&slot, tenant, since, limit, verify] {
    if (verify->count() > 0) {
      if (tenant->count() + since->count() + limit->count() > 0) {
        slot.emplace(UsageError("--verify takes no --tenant, --since or --limit"));
        return;
      }
      slot.emplace(VerifyAudit());
      return;
    }
    slot.emplace(ListAudit({OptionalValue(tenant), OptionalValue(since), OptionalValue(limit)}));
  });
}

}  // namespace tenantkv::tools
