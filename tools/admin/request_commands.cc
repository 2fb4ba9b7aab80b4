#include "tools/admin/request_commands.h"

#include "tools/admin/command_args.h"
#include "tools/admin/json_table.h"
#include "tools/admin/paged_list.h"
#include "tools/admin/percent_encoding.h"

namespace tenantkv::tools {
namespace {

constexpr char kRequestsPath[] = "/admin/v1/quota-requests";

// The fields asked for as "name=value name=value", and the approvers.
Json ListRows(const Json& body) {
  const Json* requests = FindPath(body, "requests");
  Json rows = Json::array();
  if (requests == nullptr || !requests->is_array()) return rows;
  for (const auto& r : *requests) {
    if (!r.is_object()) continue;
    Json row = r;
    std::string fields;
    if (const Json* f = FindPath(r, "fields"); f != nullptr && f->is_object()) {
      for (auto it = f->begin(); it != f->end(); ++it) {
        fields += (fields.empty() ? "" : " ") + it.key() + "=" + CellText(*it);
      }
    }
    row["fields"] = fields;
    std::string approvers;
    if (const Json* a = FindPath(r, "approvals"); a != nullptr && a->is_array()) {
      for (const auto& one : *a) approvers += (approvers.empty() ? "" : ",") + CellAt(one, "by");
    }
    row["approvals"] = approvers.empty() ? "-" : approvers;
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string RenderList(const Json& body) {
  return RowsTable(ListRows(body), {{"ID", "id"},
                                    {"TENANT", "tenant"},
                                    {"STATE", "state"},
                                    {"FIELDS", "fields"},
                                    {"EXPIRES_AT", "expires_at"},
                                    {"APPROVALS", "approvals"},
                                    {"REASON", "reason"}})
      .Render();
}

std::string RenderDecision(const Json& body) {
  Json shown = body;
  const Json rows = ListRows(Json{{"requests", Json::array({body})}});
  if (!rows.empty()) {
    shown["fields"] = rows[0]["fields"];
    shown["approvals"] = rows[0]["approvals"];
  }
  std::string out = FieldTable(shown, {"id", "tenant", "state", "fields", "approvals", "manifest_version"}).Render();
  if (CellAt(body, "state") == "pending") {
    out += "\nApproval recorded; another operator's approval applies it.\n";
  }
  return out;
}

AdminCommand Decision(const std::string& rid, const std::string& verb, const std::optional<std::string>& comment) {
  Json body = Json::object();
  if (comment) body["comment"] = *comment;
  return {{"POST", std::string(kRequestsPath) + "/" + EncodePathSegment(rid) + "/" + verb, std::move(body)},
          RenderDecision};
}

}  // namespace

AdminCommand RequestsList(const RequestListOptions& options) {
  return PagedListCommand(kRequestsPath,
                          {{"state", options.state}, {"tenant", options.tenant}, {"limit", options.limit}},
                          options.start_after, options.all, "requests", RenderList);
}

AdminCommand RequestsApprove(const std::string& rid, const std::optional<std::string>& comment) {
  return Decision(rid, "approve", comment);
}

AdminCommand RequestsReject(const std::string& rid, const std::optional<std::string>& comment) {
  return Decision(rid, "reject", comment);
}

void AddRequestCommands(CLI::App& app, CommandSlot& slot) {
  CLI::App* requests = app.add_subcommand("requests", "List, approve or reject tenants' quota change requests");
  requests->require_subcommand(1);
  CLI::App* list = requests->add_subcommand("list", "List quota change requests, oldest first");
  CLI::Option* state = list->add_option("--state", "Only requests in this state: pending, approved or rejected");
  CLI::Option* tenant = list->add_option("--tenant", "Only this tenant's requests");
  CLI::Option* limit = list->add_option("--limit", "Requests per page, 1..1000 (the server's default: 100)");
  CLI::Option* start_after = list->add_option("--start-after", "Start after this request id (a page's \"next\")");
  CLI::Option* all = list->add_flag("--all", "Follow the pages to the end");
  list->callback([&slot, state, tenant, limit, start_after, all] {
    RequestListOptions o;
    o.state = OptionalValue(state);
    o.tenant = OptionalValue(tenant);
    o.limit = OptionalValue(limit);
    o.start_after = OptionalValue(start_after);
    o.all = all->count() > 0;
    slot.emplace(RequestsList(o));
  });
  for (const std::string verb : {"approve", "reject"}) {
    CLI::App* cmd = requests->add_subcommand(
        verb, verb == "approve" ? "Approve a request: it applies as a new quota version (with four eyes, once a "
                                  "second operator approves too)"
                                : "Reject a request: it ends, nothing changes");
    CLI::Option* rid = AddRequiredArg(*cmd, "rid", "Request id, as requests list shows it");
    CLI::Option* comment = cmd->add_option("--comment", "Why (kept with the decision and in the audit)");
    cmd->callback([&slot, rid, comment, verb] {
      const std::string id = rid->as<std::string>();
      slot.emplace(verb == "approve" ? RequestsApprove(id, OptionalValue(comment))
                                     : RequestsReject(id, OptionalValue(comment)));
    });
  }
}

}  // namespace tenantkv::tools
