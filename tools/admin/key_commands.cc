#include "tools/admin/key_commands.h"

#include "tools/admin/admin_routes.h"
#include "tools/admin/cli_errors.h"
#include "tools/admin/command_args.h"
#include "tools/admin/json_table.h"
#include "tools/admin/key_view.h"
#include "tools/admin/paged_list.h"
#include "tools/admin/problem_details.h"

namespace tenantkv::tools {
namespace {

Result<Json> RotateEach(const Json& tenants, HttpTransport& transport) {
  Json rotated = Json::array();
  Json failed = Json::array();
  const Json* list = FindPath(tenants, "tenants");
  if (list == nullptr || !list->is_array()) {
    return Status::Internal("the server's tenant list has no \"tenants\" array", "bad_answer");
  }
  for (const auto& t : *list) {
    if (!t.is_object() || !t.contains("id") || !t["id"].is_string()) continue;
    const std::string id = t["id"].get<std::string>();
    Result<HttpResponse> r = transport.Send({"POST", KeysPath(id) + "/rotate", std::nullopt});
    if (!r.ok()) return r.status();  // the server is gone: stop here
    if (r->status >= 200 && r->status < 300) {
      Json body = Json::parse(r->body, nullptr, false);
      rotated.push_back({{"tenant", id}, {"rotated_to", body.is_object() ? body.value("rotated_to", Json()) : Json()}});
      continue;
    }
    Status s = HttpErrorStatus(r->status, r->body);
    failed.push_back({{"tenant", id}, {"status", r->status}, {"code", s.reason()}, {"detail", s.message()}});
  }
  return Json{{"rotated", std::move(rotated)}, {"failed", std::move(failed)}};
}

}  // namespace

AdminCommand KeysRotate(const std::string& id) {
  return {{"POST", KeysPath(id) + "/rotate", std::nullopt}, RenderKeyStatus};
}

AdminCommand KeysRotateAll() {
  // Every tenant: the list is paged (1000 a page, the most the server gives).
  const std::string pages = TenantsPath() + "?limit=1000";
  AdminCommand c{{"GET", pages, std::nullopt}, RenderRotateAll};
  c.follow_up = [all_pages = FollowPages(pages, "tenants")](const Json& first,
                                                           HttpTransport& transport) -> Result<Json> {
    TKV_ASSIGN_OR_RETURN(Json tenants, all_pages(first, transport));
    return RotateEach(tenants, transport);
  };
  c.check = [](const Json& body) -> Status {
    const Json* failed = FindPath(body, "failed");
    if (failed == nullptr || failed->empty()) return Status::Ok();
    return Status::Internal(std::to_string(failed->size()) + " tenant(s) could not be rotated, first '" +
                                (*failed)[0].value("tenant", std::string()) + "': " +
                                (*failed)[0].value("detail", std::string()),
                            "rotate_failed");
  };
  return c;
}

AdminCommand KeysRotateDue() {
  AdminCommand c{{"POST", "/admin/v1/keys/rotate-due", std::nullopt}, RenderRotateDue};
  c.check = [](const Json& body) -> Status {
    const Json* failed = FindPath(body, "failed");
    if (failed == nullptr || !failed->is_number_unsigned() || failed->get<uint64_t>() == 0) return Status::Ok();
    return Status::Internal(std::to_string(failed->get<uint64_t>()) + " due tenant(s) could not be rotated",
                            "rotate_failed");
  };
  return c;
}

AdminCommand KeysRotationPolicy() {
  return {{"GET", "/admin/v1/keys/rotation", std::nullopt}, RenderRotationPolicy};
}

AdminCommand KeysSchedule(const KeyScheduleOptions& options) {
  return PagedListCommand("/admin/v1/keys/schedule",
                          {{"due_within_days", options.due_within_days}, {"limit", options.limit}},
                          options.start_after, options.all, "tenants", RenderKeySchedule);
}

Result<AdminCommand> KeysRotateFor(const std::optional<std::string>& id, bool all, bool due) {
  if (int{id.has_value()} + int{all} + int{due} != 1) {
    return UsageError("keys rotate needs exactly one of --tenant ID, --all and --due");
  }
  if (due) return KeysRotateDue();
  return all ? KeysRotateAll() : KeysRotate(*id);
}

AdminCommand KeysStatus(const std::string& id) { return {{"GET", KeysPath(id), std::nullopt}, RenderKeyStatus}; }

void AddKeyCommands(CLI::App& app, CommandSlot& slot) {
  CLI::App* keys = app.add_subcommand("keys", "Manage a tenant's data keys");
  keys->require_subcommand(1);
  CLI::App* rotate = keys->add_subcommand(
      "rotate", "New data-key version for new writes; old values are re-encrypted in the background");
  CLI::Option* tenant = rotate->add_option("--tenant", "Tenant id");
  CLI::Option* all = rotate->add_flag("--all", "Rotate every tenant's data key");
  CLI::Option* due = rotate->add_flag(
      "--due", "Rotate the data keys the server's policy says are due (max age, max seals): for cron/systemd");
  rotate->callback([&slot, tenant, all, due] {
    slot.emplace(KeysRotateFor(OptionalValue(tenant), all->count() > 0, due->count() > 0));
  });
  CLI::App* policy = keys->add_subcommand("policy", "The rotation policy and the server's last sweep");
  policy->callback([&slot] { slot.emplace(KeysRotationPolicy()); });
  CLI::App* schedule = keys->add_subcommand("schedule", "When each tenant's data key falls due under the policy");
  CLI::Option* within = schedule->add_option("--due-within-days", "Only the keys due now or within this many days");
  CLI::Option* limit = schedule->add_option("--limit", "Tenants per page, 1..1000 (the server's default: 100)");
  CLI::Option* start_after = schedule->add_option("--start-after", "Start after this tenant id (a page's \"next\")");
  CLI::Option* every = schedule->add_flag("--all", "Follow the pages to the end");
  schedule->callback([&slot, within, limit, start_after, every] {
    KeyScheduleOptions o;
    o.due_within_days = OptionalValue(within);
    o.limit = OptionalValue(limit);
    o.start_after = OptionalValue(start_after);
    o.all = every->count() > 0;
    slot.emplace(KeysSchedule(o));
  });
  CLI::App* status = keys->add_subcommand("status", "A tenant's data-key versions: state, seals, values left");
  CLI::Option* id = AddRequiredArg(*status, "id", "Tenant id");
  status->callback([&slot, id] { slot.emplace(KeysStatus(id->as<std::string>())); });
}

}  // namespace tenantkv::tools
