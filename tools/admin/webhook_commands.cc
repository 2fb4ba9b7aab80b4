#include "tools/admin/webhook_commands.h"

#include "tools/admin/admin_routes.h"
#include "tools/admin/command_args.h"
#include "tools/admin/json_table.h"
#include "tools/admin/percent_encoding.h"

namespace tenantkv::tools {
namespace {

constexpr char kGlobalPath[] = "/admin/v1/webhooks";
constexpr char kOwnPath[] = "/v1/webhooks";

// Where an endpoint is created: a tenant's only with its own admin key.
std::string EndpointBase(const std::string& tenant) { return tenant.empty() ? kGlobalPath : kOwnPath; }
// Where a scope's endpoints are read and deleted (the operator may, for a tenant's).
std::string ReadBase(const std::string& tenant) {
  return tenant.empty() ? std::string(kGlobalPath) : TenantPath(tenant) + "/webhooks";
}

Json WithEventsText(Json w) {
  std::string events;
  if (const Json* e = FindPath(w, "events"); e != nullptr && e->is_array()) {
    for (const auto& one : *e) events += (events.empty() ? "" : ",") + CellText(one);
  }
  w["events_text"] = events;
  return w;
}

std::string RenderOne(const Json& w) {
  return FieldTable(WithEventsText(w), {"id", "tenant", "url", "events_text", "description", "threshold_pct",
                                        "exhaustion_hours", "throttle_per_min", "created_at", "created_by"})
      .Render();
}

std::string RenderCreated(const Json& w) {
  Json shown = w;
  shown.erase("secret");
  std::string out = RenderOne(shown);
  out += "\nSigning secret (shown only now; store it with the receiver):\n" + CellAt(w, "secret") + "\n";
  return out;
}

std::string RenderList(const Json& body) {
  Json rows = Json::array();
  if (const Json* list = FindPath(body, "webhooks"); list != nullptr && list->is_array()) {
    for (const Json& w : *list) rows.push_back(WithEventsText(w));
  }
  return RowsTable(rows, {{"ID", "id"}, {"TENANT", "tenant"}, {"URL", "url"}, {"EVENTS", "events_text"},
                          {"CREATED_AT", "created_at"}})
      .Render();
}

std::string RenderDeliveries(const Json& body) {
  Json rows = Json::array();
  if (const Json* list = FindPath(body, "deliveries"); list != nullptr && list->is_array()) rows = *list;
  std::string out = RowsTable(rows, {{"SEQ", "seq"},
                                     {"EVENT", "event_id"},
                                     {"TYPE", "type"},
                                     {"STATE", "state"},
                                     {"ATTEMPTS", "attempts"},
                                     {"LAST_STATUS", "last_status"},
                                     {"LAST_ERROR", "last_error"},
                                     {"NEXT_ATTEMPT_AT", "next_attempt_at"}})
                        .Render();
  if (const Json* next = FindPath(body, "next"); next != nullptr && next->is_string()) {
    out += "More: --start-after " + next->get<std::string>() + "\n";
  }
  return out;
}

std::string RenderDeleted(const Json&) { return "Deleted.\n"; }

}  // namespace

AdminCommand WebhooksCreate(const std::string& tenant, const WebhookCreateOptions& o) {
  Json body{{"url", o.url}, {"events", o.events}};
  // Bounds are the server's to judge (400 invalid_webhook_setting).
  if (o.description) body["description"] = *o.description;
  if (o.threshold_pct) body["threshold_pct"] = *o.threshold_pct;
  if (o.exhaustion_hours) body["exhaustion_hours"] = *o.exhaustion_hours;
  if (o.throttle_per_min) body["throttle_per_min"] = *o.throttle_per_min;
  return {{"POST", EndpointBase(tenant), std::move(body)}, RenderCreated};
}

AdminCommand WebhooksList(const std::string& tenant) { return {{"GET", ReadBase(tenant), std::nullopt}, RenderList}; }

AdminCommand WebhooksShow(const std::string& tenant, const std::string& wid) {
  return {{"GET", ReadBase(tenant) + "/" + EncodePathSegment(wid), std::nullopt}, RenderOne};
}

AdminCommand WebhooksDelete(const std::string& tenant, const std::string& wid) {
  return {{"DELETE", ReadBase(tenant) + "/" + EncodePathSegment(wid), std::nullopt}, RenderDeleted};
}

AdminCommand WebhooksDeliveries(const std::string& tenant, const std::string& wid, std::optional<int64_t> limit,
                                std::optional<std::string> start_after) {
  std::string path = ReadBase(tenant) + "/" + EncodePathSegment(wid) + "/deliveries";
  std::string query;
  if (limit) query += "limit=" + std::to_string(*limit);
  if (start_after) query += (query.empty() ? "" : "&") + std::string("start_after=") + EncodePathSegment(*start_after);
  if (!query.empty()) path += "?" + query;
  return {{"GET", path, std::nullopt}, RenderDeliveries};
}

void AddWebhookCommands(CLI::App& app, CommandSlot& slot) {
  CLI::App* hooks = app.add_subcommand(
      "webhooks", "Webhook alert endpoints: --tenant ID for a tenant's, none for the operator's global ones");
  hooks->require_subcommand(1);
  auto tenant_option = [](CLI::App* cmd) {
    return cmd->add_option("--tenant", "The tenant whose endpoints (default: the global ones)");
  };
  auto tenant_of = [](CLI::Option* o) { return OptionalValue(o).value_or(""); };

  CLI::App* create = hooks->add_subcommand("create", "Create an endpoint; its signing secret is shown once");
  CLI::Option* c_tenant = tenant_option(create);
  CLI::Option* url = create->add_option("--url", "https://... the receiver")->required();
  CLI::Option* events =
      create->add_option("--event", "An event type (repeatable), e.g. quota.threshold")->required()->expected(1, -1);
  CLI::Option* description = create->add_option("--description", "Shown in lists (at most 256 bytes)");
  CLI::Option* threshold = create->add_option("--threshold-pct", "quota.threshold: percent of storage_bytes");
  CLI::Option* hours = create->add_option("--exhaustion-hours", "quota.exhaustion: projected within this many hours");
  CLI::Option* throttle = create->add_option("--throttle-per-min", "quota.throttled: refusals per minute above this");
  create->callback([&slot, c_tenant, url, events, description, threshold, hours, throttle, tenant_of] {
    WebhookCreateOptions o;
    o.url = url->as<std::string>();
    o.events = RepeatedValues(events);
    o.description = OptionalValue(description);
    if (threshold->count()) o.threshold_pct = threshold->as<int64_t>();
    if (hours->count()) o.exhaustion_hours = hours->as<int64_t>();
    if (throttle->count()) o.throttle_per_min = throttle->as<int64_t>();
    slot.emplace(WebhooksCreate(tenant_of(c_tenant), o));
  });

  CLI::App* list = hooks->add_subcommand("list", "List the endpoints (no secrets)");
  CLI::Option* l_tenant = tenant_option(list);
  list->callback([&slot, l_tenant, tenant_of] { slot.emplace(WebhooksList(tenant_of(l_tenant))); });

  CLI::App* show = hooks->add_subcommand("show", "Show one endpoint");
  CLI::Option* s_tenant = tenant_option(show);
  CLI::Option* s_wid = AddRequiredArg(*show, "webhook_id", "Endpoint id (wh_...)");
  show->callback([&slot, s_tenant, s_wid, tenant_of] {
    slot.emplace(WebhooksShow(tenant_of(s_tenant), s_wid->as<std::string>()));
  });

  CLI::App* del = hooks->add_subcommand("delete", "Delete an endpoint and its deliveries, pending ones too");
  CLI::Option* d_tenant = tenant_option(del);
  CLI::Option* d_wid = AddRequiredArg(*del, "webhook_id", "Endpoint id (wh_...)");
  del->callback([&slot, d_tenant, d_wid, tenant_of] {
    slot.emplace(WebhooksDelete(tenant_of(d_tenant), d_wid->as<std::string>()));
  });

  CLI::App* deliveries = hooks->add_subcommand(
      "deliveries", "An endpoint's deliveries: state, attempts, last status or error, next attempt");
  CLI::Option* v_tenant = tenant_option(deliveries);
  CLI::Option* v_wid = AddRequiredArg(*deliveries, "webhook_id", "Endpoint id (wh_...)");
  CLI::Option* limit = deliveries->add_option("--limit", "At most this many (1..1000; default 100)");
  CLI::Option* start_after = deliveries->add_option("--start-after", "A page's next (a seq)");
  deliveries->callback([&slot, v_tenant, v_wid, limit, start_after, tenant_of] {
    std::optional<int64_t> l;
    if (limit->count()) l = limit->as<int64_t>();
    slot.emplace(WebhooksDeliveries(tenant_of(v_tenant), v_wid->as<std::string>(), l, OptionalValue(start_after)));
  });
}

}  // namespace tenantkv::tools
