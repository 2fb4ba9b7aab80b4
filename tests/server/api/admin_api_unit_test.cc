// The admin routes (server/api/admin_api.cc) in-process, through Api::Handle,
// over an engine whose faults the test injects.
#include <gtest/gtest.h>
#include <future>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "server/api/api.h"
#include "server/auth/auth.h"
#include "tests/testing/test_util.h"

namespace tenantkv::server {
namespace {

using engine::testutil::EngineHarness;
using nlohmann::json;

constexpr char kOperator[] = "tkvop_admin-api-test-operator-token-0123456789";

class AdminApi : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(h_.Open());
    auth_ = std::make_unique<Authenticator>(kOperator, &h_->api_keys(), &h_->operator_keys());
    api_ = std::make_unique<Api>(&h_.engine(), auth_.get());
  }
  void TearDown() override {
    api_.reset();
    auth_.reset();
  }

  HttpResponse Call(const std::string& method, const std::string& target, const std::string& token,
                    const std::string& body = "",
                    const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    HttpRequest req;
    req.method = method;
    req.target = target;
    req.body = body;
    req.remote_addr = "127.0.0.1";
    if (!token.empty()) req.headers.Add("Authorization", "Bearer " + token);
    for (const auto& [name, value] : headers) req.headers.Add(name, value);
    if (!body.empty()) req.headers.Add("Content-Type", "application/json");
    std::promise<HttpResponse> answer;
    std::future<HttpResponse> answered = answer.get_future();
    api_->Handle(std::move(req), [&answer](HttpResponse r) { answer.set_value(std::move(r)); });
    return answered.get();
  }
  static std::string CodeOf(const HttpResponse& res) {
    auto j = json::parse(res.body, nullptr, false);
    return j.is_object() && j.contains("code") ? j["code"].get<std::string>() : "";
  }
  // id -> state, as GET /admin/v1/tenants`query` lists them.
  std::map<std::string, std::string> Listed(const std::string& query = "") {
    std::map<std::string, std::string> out;
    auto res = Call("GET", "/admin/v1/tenants" + query, kOperator);
    EXPECT_EQ(res.status, 200) << res.body;
    auto j = json::parse(res.body, nullptr, false);
    if (!j.is_object() || !j.contains("tenants")) return out;
    for (const auto& t : j["tenants"]) out[t["id"].get<std::string>()] = t["state"].get<std::string>();
    return out;
  }

  EngineHarness h_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<Api> api_;
};

// A delete whose purge fails: the operator sees the tenant "deleting", its
// tokens get 401, its id stays taken, and a repeated DELETE answers 202
// and finishes the purge.
TEST_F(AdminApi, ADeleteWhosePurgeFailedStaysDeletingUntilARepeatedDelete) {
  ASSERT_EQ(Call("POST", "/admin/v1/tenants", kOperator, R"({"id":"acme"})").status, 201);
  ASSERT_EQ(Call("POST", "/admin/v1/tenants", kOperator, R"({"id":"globex"})").status, 201);
  auto made = Call("POST", "/admin/v1/tenants/acme/apikeys", kOperator, R"({"role":"admin"})");
  ASSERT_EQ(made.status, 201) << made.body;
  const std::string token = json::parse(made.body)["token"].get<std::string>();
  ASSERT_EQ(Call("GET", "/v1/usage", token).status, 200);

  h_->tenants().InjectFaultForTest(engine::TenantRegistry::FaultForTest::kShredKeys);
  auto failed = Call("DELETE", "/admin/v1/tenants/acme", kOperator);
  EXPECT_EQ(failed.status, 500) << failed.body;

  auto shown = Call("GET", "/admin/v1/tenants/acme", kOperator);
  ASSERT_EQ(shown.status, 200) << shown.body;
  EXPECT_EQ(json::parse(shown.body)["state"], "deleting") << shown.body;
  EXPECT_EQ(Listed(), (std::map<std::string, std::string>{{"acme", "deleting"}, {"globex", "active"}}));
  EXPECT_EQ(Listed("?state=deleting"), (std::map<std::string, std::string>{{"acme", "deleting"}}));
  EXPECT_EQ(Listed("?state=active"), (std::map<std::string, std::string>{{"globex", "active"}}));
  EXPECT_EQ(Listed("?start_after=acme"), (std::map<std::string, std::string>{{"globex", "active"}}));
  EXPECT_EQ(Listed("?prefix=ac"), (std::map<std::string, std::string>{{"acme", "deleting"}}));
  EXPECT_EQ(Listed("?prefix=gl"), (std::map<std::string, std::string>{{"globex", "active"}}));
  EXPECT_EQ(Call("GET", "/v1/usage", token).status, 401);
  EXPECT_EQ(Call("POST", "/admin/v1/tenants/acme/apikeys", token, R"({"role":"admin"})").status, 401);
  auto key_by_operator = Call("POST", "/admin/v1/tenants/acme/apikeys", kOperator, R"({"role":"admin"})");
  EXPECT_EQ(key_by_operator.status, 404) << key_by_operator.body;
  auto recreated = Call("POST", "/admin/v1/tenants", kOperator, R"({"id":"acme"})");
  EXPECT_EQ(recreated.status, 409) << recreated.body;
  EXPECT_EQ(CodeOf(recreated), "tenant_exists");

  auto retried = Call("DELETE", "/admin/v1/tenants/acme", kOperator);
  EXPECT_EQ(retried.status, 202) << retried.body;
  EXPECT_EQ(Call("GET", "/admin/v1/tenants/acme", kOperator).status, 404);
  EXPECT_EQ(Listed(), (std::map<std::string, std::string>{{"globex", "active"}}));
  EXPECT_EQ(Call("DELETE", "/admin/v1/tenants/acme", kOperator).status, 404);
  ASSERT_EQ(Call("POST", "/admin/v1/tenants", kOperator, R"({"id":"acme"})").status, 201);
  EXPECT_EQ(Call("GET", "/v1/usage", token).status, 401);
}

// GET /admin/v1/tenants in pages: `limit` items in id order, "next" the last
// id of a page that is not the last, null on the last; start_after needs no
// listed id; filters by plan, tier and state combine with the pages; more
// tenants than the route reads from the directory at once (256) page alike.
TEST_F(AdminApi, TheTenantListIsPagedAndFiltered) {
  std::vector<std::string> ids;
  for (int i = 0; i < 300; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "t%03d", i);
    ids.push_back(id);
    // Every thirtieth is column_family on the standard plan; the rest pooled, free.
    ASSERT_TRUE(h_->tenants()
                    .Create(id, i % 30 == 0 ? "standard" : "free",
                            i % 30 == 0 ? engine::Tier::kColumnFamily : engine::Tier::kPooled)
                    .ok());
  }
  ASSERT_TRUE(h_->tenants().SetSuspended("t004", true).ok());
  ASSERT_TRUE(h_->tenants().SetSuspended("t290", true).ok());

  struct Page {
    json next;
    std::vector<std::string> ids;
  };
  auto page = [&](const std::string& query) {
    Page p;
    auto res = Call("GET", "/admin/v1/tenants" + query, kOperator);
    EXPECT_EQ(res.status, 200) << res.body;
    json j = json::parse(res.body, nullptr, false);
    if (!j.is_object() || !j.contains("tenants") || !j.contains("next")) {
      ADD_FAILURE() << res.body;
      return p;
    }
    for (const auto& t : j["tenants"]) p.ids.push_back(t["id"].get<std::string>());
    p.next = j["next"];
    return p;
  };
  // Every page of `filter` at `limit`, followed through "next".
  auto all_pages = [&](const std::string& filter, size_t limit) {
    std::vector<std::string> got;
    std::string after;
    for (int pages = 0; pages < 1000; ++pages) {
      std::string q = "?limit=" + std::to_string(limit) + filter;
      if (!after.empty()) q += "&start_after=" + after;
      auto [next, items] = page(q);
      EXPECT_LE(items.size(), limit);
      got.insert(got.end(), items.begin(), items.end());
      if (next.is_null()) break;
      EXPECT_EQ(items.size(), limit);
      EXPECT_EQ(next, items.back());
      after = next.get<std::string>();
    }
    return got;
  };

  // The default page is 100; no parameter answers the first 100 and "next".
  Page first = page("");
  EXPECT_EQ(first.ids, std::vector<std::string>(ids.begin(), ids.begin() + 100));
  EXPECT_EQ(first.next, "t099");
  Page whole = page("?limit=1000");
  EXPECT_EQ(whole.ids, ids);
  EXPECT_TRUE(whole.next.is_null());
  Page exact = page("?limit=300");  // the page ends where the list does
  EXPECT_EQ(exact.ids, ids);
  EXPECT_TRUE(exact.next.is_null());
  Page short_of_one = page("?limit=299");
  EXPECT_EQ(short_of_one.next, "t298");
  EXPECT_EQ(all_pages("", 7), ids);
  EXPECT_EQ(all_pages("", 50), ids);
  EXPECT_EQ(all_pages("", 255), ids);
  EXPECT_EQ(all_pages("", 256), ids);
  // start_after need not be listed: the page starts after it.
  EXPECT_EQ(page("?limit=2&start_after=t0995").ids, (std::vector<std::string>{"t100", "t101"}));
  Page past_end = page("?start_after=t299");
  EXPECT_EQ(past_end.ids, std::vector<std::string>{});
  EXPECT_TRUE(past_end.next.is_null());
  Page last = page("?limit=1&start_after=t298");
  EXPECT_EQ(last.ids, std::vector<std::string>{"t299"});
  EXPECT_TRUE(last.next.is_null());

  std::vector<std::string> column_family, pooled, suspended;
  for (size_t i = 0; i < ids.size(); ++i) (i % 30 == 0 ? column_family : pooled).push_back(ids[i]);
  suspended = {"t004", "t290"};
  EXPECT_EQ(all_pages("&tier=column_family", 30), column_family);
  EXPECT_EQ(all_pages("&tier=pooled", 1000), pooled);
  EXPECT_EQ(all_pages("&plan=standard", 3), column_family);
  EXPECT_EQ(all_pages("&plan=free&tier=column_family", 10), std::vector<std::string>{});
  EXPECT_EQ(all_pages("&plan=nobody", 10), std::vector<std::string>{});
  EXPECT_EQ(all_pages("&state=suspended", 1), suspended);
  EXPECT_EQ(all_pages("&state=suspended&tier=pooled", 1), suspended);
  EXPECT_EQ(all_pages("&state=suspended&tier=column_family", 1), std::vector<std::string>{});
  EXPECT_EQ(all_pages("&state=active", 1000).size(), 298u);

  // ?prefix=: the ids that start with it, paged like the rest, with the
  // other filters and with a start_after before, inside or past its run.
  auto range = [&ids](size_t from, size_t to) {  // ids[from, to)
    return std::vector<std::string>(ids.begin() + from, ids.begin() + to);
  };
  EXPECT_EQ(all_pages("&prefix=t01", 3), range(10, 20));
  EXPECT_EQ(all_pages("&prefix=t1", 7), range(100, 200));
  EXPECT_EQ(all_pages("&prefix=t2", 1000), range(200, 300));  // read in two chunks
  EXPECT_EQ(all_pages("&prefix=t", 1000), ids);
  EXPECT_EQ(all_pages("&prefix=t119", 1), range(119, 120));
  EXPECT_EQ(all_pages("&prefix=t1190", 1), std::vector<std::string>{});
  EXPECT_EQ(all_pages("&prefix=u", 10), std::vector<std::string>{});
  EXPECT_EQ(all_pages("&prefix=t00&state=suspended", 10), std::vector<std::string>{"t004"});
  EXPECT_EQ(all_pages("&prefix=t0&tier=column_family", 10), (std::vector<std::string>{"t000", "t030", "t060", "t090"}));
  EXPECT_EQ(all_pages("&prefix=t29&state=suspended", 10), std::vector<std::string>{"t290"});
  EXPECT_EQ(page("?prefix=t11&start_after=t005").ids, range(110, 120));
  EXPECT_EQ(page("?prefix=t0&start_after=t050").ids, range(51, 100));
  EXPECT_EQ(page("?prefix=t0&start_after=t2").ids, std::vector<std::string>{});
  Page prefix_page = page("?prefix=t01&limit=4");
  EXPECT_EQ(prefix_page.ids, range(10, 14));
  EXPECT_EQ(prefix_page.next, "t013");

  // Bad parameters are problems with their codes.
  for (const auto& [query, code] : std::vector<std::pair<std::string, std::string>>{
           {"?limit=0", "invalid_limit"},
           {"?limit=1001", "invalid_limit"},
           {"?limit=x", "invalid_limit"},
           {"?tier=dedicatedish", "unknown_tier"},
           {"?state=gone", "invalid_parameter"},
           {"?prefix=", "invalid_parameter"},
           {"?prefix=T0", "invalid_parameter"},
           {"?prefix=-t", "invalid_parameter"},
           {"?prefix=" + std::string(64, 't'), "invalid_parameter"},
           {"?sort=id", "invalid_parameter"}}) {
    auto res = Call("GET", "/admin/v1/tenants" + query, kOperator);
    EXPECT_EQ(res.status, 400) << query << " " << res.body;
    EXPECT_EQ(CodeOf(res), code) << query;
  }
}

// The tenant JSON counts the refusals the tenant met, by reason, as
// GET /v1/usage does: zeros for a tenant never served (and nothing is
// made for it), one 429 rate_limited after a call over its quota.
TEST_F(AdminApi, TheTenantShowsItsThrottlingByReason) {
  ASSERT_EQ(Call("POST", "/admin/v1/tenants", kOperator, R"({"id":"quiet"})").status, 201);
  ASSERT_EQ(Call("POST", "/admin/v1/tenants", kOperator, R"({"id":"tight"})").status, 201);
  ASSERT_EQ(Call("PUT", "/admin/v1/tenants/tight/quota", kOperator,
                 R"({"requests_per_sec":1,"burst_requests":1})").status, 200);
  auto made = Call("POST", "/admin/v1/tenants/tight/apikeys", kOperator, R"({"role":"read"})");
  ASSERT_EQ(made.status, 201) << made.body;
  const std::string token = json::parse(made.body)["token"].get<std::string>();
  ASSERT_EQ(Call("GET", "/v1/usage", token).status, 200);  // the fake clock stands still: no refill
  auto refused = Call("GET", "/v1/usage", token);
  ASSERT_EQ(refused.status, 429) << refused.body;
  ASSERT_EQ(CodeOf(refused), "rate_limited");

  auto tight = json::parse(Call("GET", "/admin/v1/tenants/tight", kOperator).body);
  ASSERT_TRUE(tight["throttled"].is_object()) << tight.dump();
  EXPECT_EQ(tight["throttled"]["rate_limited"], 1) << tight.dump();
  auto usage = json::parse(Call("GET", "/admin/v1/tenants/tight", kOperator).body)["throttled"];
  EXPECT_EQ(usage, tight["throttled"]);
  auto listed = json::parse(Call("GET", "/admin/v1/tenants", kOperator).body);
  ASSERT_EQ(listed["tenants"].size(), 2u);
  const json& quiet = listed["tenants"][0];
  ASSERT_EQ(quiet["id"], "quiet");
  EXPECT_EQ(quiet["throttled"].size(), tight["throttled"].size());  // every reason, as zeros
  for (const auto& [reason, n] : quiet["throttled"].items()) EXPECT_EQ(n, 0) << reason;
  EXPECT_EQ(listed["tenants"][1]["throttled"]["rate_limited"], 1);
  auto q = h_->tenants().Get("quiet");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ((*q)->AttachedIfAny<engine::TenantAttachment>(), nullptr);  // listing made no series
}

// GET /admin/v1/keys/schedule: each tenant's current key with when age
// makes it due, in id order and in pages; ?due_within_days keeps the ones
// due by then. The engine's fake clock moves the days.
TEST_F(AdminApi, TheKeyScheduleShowsWhatIsDueAndWhen) {
  for (const char* id : {"a1", "b2", "c3"}) {
    ASSERT_EQ(Call("POST", "/admin/v1/tenants", kOperator, std::string(R"({"id":")") + id + "\"}").status, 201);
  }
  constexpr int64_t kDay = 24LL * 3600 * 1000;
  h_.clock().AdvanceMillis(80 * kDay);
  ASSERT_TRUE(h_->key_lifecycle().Rotate("b2").ok());  // b2's current key is new
  auto schedule = [&](const std::string& query) {
    auto res = Call("GET", "/admin/v1/keys/schedule" + query, kOperator);
    EXPECT_EQ(res.status, 200) << res.body;
    return json::parse(res.body, nullptr, false);
  };
  auto ids_of = [](const json& j) {
    std::vector<std::string> out;
    for (const auto& t : j["tenants"]) out.push_back(t["tenant"].get<std::string>());
    return out;
  };
  json all = schedule("");
  EXPECT_EQ(all["policy"]["max_age_days"], 90);
  EXPECT_EQ(ids_of(all), (std::vector<std::string>{"a1", "b2", "c3"}));
  EXPECT_TRUE(all["next"].is_null());
  for (const auto& t : all["tenants"]) EXPECT_TRUE(t["due"].is_null()) << t.dump();
  EXPECT_EQ(all["tenants"][1]["version"], 2);
  EXPECT_EQ(all["tenants"][0]["version"], 1);
  // a1's key was made at the start: due at start + 90 days, ten days from now.
  EXPECT_EQ(all["tenants"][0]["created_at"], json::parse(Call("GET", "/admin/v1/tenants/a1/keys", kOperator).body)
                                                 ["versions"][0]["created_at"]);
  EXPECT_TRUE(schedule("?due_within_days=9")["tenants"].empty());
  EXPECT_EQ(ids_of(schedule("?due_within_days=10")), (std::vector<std::string>{"a1", "c3"}));
  EXPECT_EQ(ids_of(schedule("?due_within_days=90")), (std::vector<std::string>{"a1", "b2", "c3"}));
  json first = schedule("?limit=1&due_within_days=10");
  EXPECT_EQ(ids_of(first), std::vector<std::string>{"a1"});
  ASSERT_EQ(first["next"], "a1");
  EXPECT_EQ(ids_of(schedule("?limit=1&due_within_days=10&start_after=a1")), std::vector<std::string>{"c3"});

  h_.clock().AdvanceMillis(10 * kDay);
  json due = schedule("?due_within_days=0");
  EXPECT_EQ(ids_of(due), (std::vector<std::string>{"a1", "c3"}));
  for (const auto& t : due["tenants"]) EXPECT_EQ(t["due"], "age") << t.dump();
  EXPECT_TRUE(schedule("")["tenants"][1]["due"].is_null());  // b2 is not due

  for (std::string query : {"?due_within_days=-1", "?due_within_days=x", "?due_within_days=36501",
                                   "?limit=0", "?tenant=a1"}) {
    auto res = Call("GET", "/admin/v1/keys/schedule" + query, kOperator);
    EXPECT_EQ(res.status, 400) << query << " " << res.body;
  }
  auto made = Call("POST", "/admin/v1/tenants/a1/apikeys", kOperator, R"({"role":"admin"})");
  ASSERT_EQ(made.status, 201) << made.body;
  auto denied = Call("GET", "/admin/v1/keys/schedule", json::parse(made.body)["token"].get<std::string>());
  EXPECT_EQ(denied.status, 403) << denied.body;
}

// Tenantkv-Change-Source and -Reason go into the audit entry of the change
// they came with; a bad one (too long, a control character, not UTF-8) is
// refused before the handler runs, so nothing changes.
TEST_F(AdminApi, ChangeHeadersAreRecordedInTheAuditEntryOrRefusedBeforeTheChange) {
  const std::vector<std::pair<std::string, std::string>> why = {
      {"Tenantkv-Change-Source", "pipeline deploy #42"}, {"Tenantkv-Change-Reason", "ticket OPS-7 \"launch\" <b>"}};
  ASSERT_EQ(Call("POST", "/admin/v1/tenants", kOperator, R"({"id":"acme"})", why).status, 201);
  ASSERT_EQ(Call("PUT", "/admin/v1/tenants/acme/quota", kOperator, R"({"weight":3})",
                 {{"Tenantkv-Change-Reason", "more share"}}).status, 200);
  ASSERT_EQ(Call("POST", "/admin/v1/tenants/acme/suspend", kOperator).status, 200);
  auto listed = json::parse(Call("GET", "/admin/v1/audit?tenant=acme", kOperator).body);
  std::map<std::string, json> by_action;
  for (const auto& e : listed["entries"]) by_action[e["action"].get<std::string>()] = e;
  ASSERT_EQ(by_action.count("tenant.create"), 1u) << listed.dump();
  json created = by_action["tenant.create"]["details"];
  if (created.is_string()) created = json::parse(created.get<std::string>());
  EXPECT_EQ(created["change_source"], "pipeline deploy #42") << created.dump();
  EXPECT_EQ(created["change_reason"], "ticket OPS-7 \"launch\" <b>");
  EXPECT_EQ(created["plan"], "standard");  // the entry's own details are kept
  json quota = by_action["quota.set"]["details"];
  if (quota.is_string()) quota = json::parse(quota.get<std::string>());
  EXPECT_EQ(quota["change_reason"], "more share") << by_action["quota.set"].dump();
  EXPECT_FALSE(quota.contains("change_source"));
  json suspended = by_action["tenant.suspend"]["details"];
  if (suspended.is_string()) suspended = json::parse(suspended.get<std::string>());
  EXPECT_FALSE(suspended.is_object() && suspended.contains("change_reason")) << suspended.dump();
  EXPECT_EQ(Call("GET", "/admin/v1/audit/verify", kOperator).status, 200);

  for (const std::string& bad : {std::string(257, 'x'), std::string("line\nbreak"), std::string("\xff\xfe")}) {
    auto refused = Call("POST", "/admin/v1/tenants", kOperator, R"({"id":"globex"})",
                        {{"Tenantkv-Change-Reason", bad}});
    EXPECT_EQ(refused.status, 400) << refused.body;
    EXPECT_EQ(CodeOf(refused), "invalid_change_header");
  }
  EXPECT_EQ(Call("GET", "/admin/v1/tenants/globex", kOperator).status, 404);  // nothing was made
  auto ok = Call("POST", "/admin/v1/tenants", kOperator, R"({"id":"globex"})",
                 {{"Tenantkv-Change-Source", std::string(256, 'y')}});
  EXPECT_EQ(ok.status, 201) << ok.body;
}

// Named operator keys: made with the bootstrap token (or another operator
// key), shown once, an operator for every operator route, named in the
// audit and the quota manifests; revoked at once; refused to tenant keys.
TEST_F(AdminApi, NamedOperatorKeysActAsOperatorsAndTheAuditNamesThem) {
  auto made = Call("POST", "/admin/v1/operator-keys", kOperator, R"({"name":"alice"})");
  ASSERT_EQ(made.status, 201) << made.body;
  EXPECT_EQ(made.Header("Cache-Control"), "no-store");
  const json alice = json::parse(made.body);
  const std::string token = alice["token"].get<std::string>();
  EXPECT_EQ(alice["name"], "alice");
  EXPECT_EQ(alice["state"], "active");

  ASSERT_EQ(Call("POST", "/admin/v1/tenants", token, R"({"id":"acme"})").status, 201);
  ASSERT_EQ(Call("PUT", "/admin/v1/tenants/acme/quota", token, R"({"weight":3})").status, 200);
  auto bob = Call("POST", "/admin/v1/operator-keys", token, R"({"name":"bob"})");  // an operator makes one too
  ASSERT_EQ(bob.status, 201) << bob.body;
  auto audit = json::parse(Call("GET", "/admin/v1/audit", kOperator).body);
  std::map<std::string, std::string> actor_of;
  for (const auto& e : audit["entries"]) actor_of[e["action"].get<std::string>()] = e["actor"].get<std::string>();
  EXPECT_EQ(actor_of["operator_key.create"], "operator:alice");  // bob's, made by alice
  EXPECT_EQ(actor_of["tenant.create"], "operator:alice");
  EXPECT_EQ(actor_of["quota.set"], "operator:alice");
  auto history = json::parse(Call("GET", "/admin/v1/tenants/acme/quota/history", kOperator).body);
  EXPECT_EQ(history["versions"].back()["updated_by"], "operator:alice");
  for (const auto& e : audit["entries"]) EXPECT_EQ(e.dump().find(token), std::string::npos);

  auto listed = json::parse(Call("GET", "/admin/v1/operator-keys", token).body);
  ASSERT_EQ(listed["keys"].size(), 2u);
  std::set<std::string> names;
  for (const auto& k : listed["keys"]) {
    names.insert(k["name"].get<std::string>());
    EXPECT_FALSE(k.contains("token"));
  }
  EXPECT_EQ(names, (std::set<std::string>{"alice", "bob"}));

  // Refusals: a taken name, a bad body, a tenant admin key, an unknown id.
  auto twin = Call("POST", "/admin/v1/operator-keys", kOperator, R"({"name":"alice"})");
  EXPECT_EQ(twin.status, 409);
  EXPECT_EQ(CodeOf(twin), "operator_exists");
  for (const char* body : {R"({})", R"({"name":7})", R"({"name":""})", R"({"name":"x","role":"admin"})"}) {
    auto bad = Call("POST", "/admin/v1/operator-keys", kOperator, body);
    EXPECT_EQ(bad.status, 400) << body << " " << bad.body;
  }
  auto admin = Call("POST", "/admin/v1/tenants/acme/apikeys", kOperator, R"({"role":"admin"})");
  const std::string tenant_admin = json::parse(admin.body)["token"].get<std::string>();
  for (const auto& [method, path, body] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"POST", "/admin/v1/operator-keys", R"({"name":"mallory"})"},
           {"GET", "/admin/v1/operator-keys", ""},
           {"DELETE", "/admin/v1/operator-keys/" + alice["key_id"].get<std::string>(), ""}}) {
    auto denied = Call(method, path, tenant_admin, body);
    EXPECT_EQ(denied.status, 403) << method << " " << path;
  }
  EXPECT_EQ(Call("DELETE", "/admin/v1/operator-keys/0123456789abcdef", kOperator).status, 404);
  EXPECT_EQ(Call("GET", "/admin/v1/operator-keys?limit=1", kOperator).status, 400);

  // Revoked: refused at once; the bootstrap token still works (break-glass).
  ASSERT_EQ(Call("DELETE", "/admin/v1/operator-keys/" + alice["key_id"].get<std::string>(), kOperator).status, 204);
  EXPECT_EQ(Call("GET", "/admin/v1/tenants", token).status, 401);
  EXPECT_EQ(Call("GET", "/admin/v1/tenants", kOperator).status, 200);
  auto after = json::parse(Call("GET", "/admin/v1/audit", kOperator).body);
  EXPECT_EQ(after["entries"].back()["action"], "operator_key.revoke");
  EXPECT_EQ(after["entries"].back()["actor"], "operator");
}

// The tier: chosen by the plan unless the create names one, shown in the
// tenant JSON (live and listed), refused with a problem when unknown; a
// pooled tenant serves the data routes as any other.
TEST_F(AdminApi, TheTierIsChosenAtCreateShownAndValidated) {
  auto by_plan = Call("POST", "/admin/v1/tenants", kOperator, R"({"id":"trial","plan":"free"})");
  ASSERT_EQ(by_plan.status, 201) << by_plan.body;
  EXPECT_EQ(json::parse(by_plan.body)["tier"], "pooled");
  auto standard = Call("POST", "/admin/v1/tenants", kOperator, R"({"id":"paying"})");
  ASSERT_EQ(standard.status, 201) << standard.body;
  EXPECT_EQ(json::parse(standard.body)["tier"], "column_family");
  auto chosen = Call("POST", "/admin/v1/tenants", kOperator, R"({"id":"chosen","plan":"free","tier":"column_family"})");
  ASSERT_EQ(chosen.status, 201) << chosen.body;
  EXPECT_EQ(json::parse(chosen.body)["tier"], "column_family");

  for (const char* body : {R"({"id":"bad","tier":"private"})", R"({"id":"bad","tier":"Pooled"})"}) {
    auto refused = Call("POST", "/admin/v1/tenants", kOperator, body);
    EXPECT_EQ(refused.status, 400) << refused.body;
    EXPECT_EQ(CodeOf(refused), "unknown_tier") << refused.body;
    EXPECT_EQ(refused.Header("Content-Type"), "application/problem+json");
  }
  auto not_string = Call("POST", "/admin/v1/tenants", kOperator, R"({"id":"bad","tier":7})");
  EXPECT_EQ(not_string.status, 400);
  EXPECT_EQ(CodeOf(not_string), "invalid_field");
  EXPECT_EQ(Call("GET", "/admin/v1/tenants/bad", kOperator).status, 404);

  auto shown = Call("GET", "/admin/v1/tenants/trial", kOperator);
  ASSERT_EQ(shown.status, 200);
  EXPECT_EQ(json::parse(shown.body)["tier"], "pooled");
  auto listed = json::parse(Call("GET", "/admin/v1/tenants", kOperator).body);
  std::map<std::string, std::string> tiers;
  for (const auto& t : listed["tenants"]) tiers[t["id"].get<std::string>()] = t["tier"].get<std::string>();
  EXPECT_EQ(tiers, (std::map<std::string, std::string>{
                       {"chosen", "column_family"}, {"paying", "column_family"}, {"trial", "pooled"}}));

  // The audit entry names the tier.
  auto audit = Call("GET", "/admin/v1/audit", kOperator);
  ASSERT_EQ(audit.status, 200) << audit.body;
  EXPECT_NE(audit.body.find("pooled"), std::string::npos) << audit.body;

  auto made = Call("POST", "/admin/v1/tenants/trial/apikeys", kOperator, R"({"role":"admin"})");
  ASSERT_EQ(made.status, 201) << made.body;
  const std::string token = json::parse(made.body)["token"].get<std::string>();
  EXPECT_EQ(Call("PUT", "/v1/kv/greeting", token, "hello").status, 201);
  auto got = Call("GET", "/v1/kv/greeting", token);
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body, "hello");
}

// The fake clock starts at 2026-09-21T14:13:20Z. A key made with an expiry a
// minute ahead works until it, then gets 401 key_expired (counted as its
// tenant's), while a wrong secret for its id stays invalid_token.
TEST_F(AdminApi, AKeyPastItsExpiryGets401KeyExpired) {
  ASSERT_EQ(Call("POST", "/admin/v1/tenants", kOperator, R"({"id":"acme"})").status, 201);
  auto made = Call("POST", "/admin/v1/tenants/acme/apikeys", kOperator,
                   R"({"role":"write","name":"nightly job","expires_at":"2026-09-21T14:14:20.500Z"})");
  ASSERT_EQ(made.status, 201) << made.body;
  const json key = json::parse(made.body);
  EXPECT_EQ(key["name"], "nightly job");
  EXPECT_EQ(key["expires_at"], "2026-09-21T14:14:20.500Z");
  const std::string token = key["token"].get<std::string>();
  auto plain = Call("POST", "/admin/v1/tenants/acme/apikeys", kOperator, R"({"role":"read"})");
  ASSERT_EQ(plain.status, 201) << plain.body;
  EXPECT_TRUE(json::parse(plain.body)["name"].is_null());
  EXPECT_TRUE(json::parse(plain.body)["expires_at"].is_null());

  EXPECT_EQ(Call("PUT", "/v1/kv/k", token, "v").status, 201);
  h_.clock().AdvanceMillis(60'499);
  EXPECT_EQ(Call("GET", "/v1/kv/k", token).status, 200);
  h_.clock().AdvanceMillis(1);
  for (const char* target : {"/v1/kv/k", "/v1/usage", "/admin/v1/tenants/acme/apikeys"}) {
    SCOPED_TRACE(target);
    auto refused = Call("GET", target, token);
    EXPECT_EQ(refused.status, 401) << refused.body;
    EXPECT_EQ(CodeOf(refused), "key_expired");
    EXPECT_EQ(refused.Header("Content-Type"), "application/problem+json");
    EXPECT_EQ(refused.Header("WWW-Authenticate"), "Bearer realm=\"tenantkv\"");
  }
  std::string wrong = token;
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  EXPECT_EQ(CodeOf(Call("GET", "/v1/kv/k", wrong)), "invalid_token");
  EXPECT_EQ(Call("GET", "/v1/kv/k", json::parse(plain.body)["token"].get<std::string>()).status, 200);

  // Counted as acme's refusals, where an unknown token is anonymous.
  auto metrics = Call("GET", "/metrics", kOperator);
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find(
                R"(tenantkv_requests_total{tenant="acme",method="GET",route="/v1/kv/{*key}",code="401"} 1)"),
            std::string::npos)
      << metrics.body.substr(0, 3000);
  EXPECT_NE(metrics.body.find(R"(tenantkv_requests_total{tenant="-",method="GET",route="/v1/kv/{*key}",code="401"} 1)"),
            std::string::npos)
      << metrics.body.substr(0, 3000);

  // Still listed, with its expiry, to the operator.
  auto listed = json::parse(Call("GET", "/admin/v1/tenants/acme/apikeys", kOperator).body);
  ASSERT_EQ(listed["keys"].size(), 2u);
  for (const auto& k : listed["keys"]) {
    if (k["key_id"] != key["key_id"]) continue;
    EXPECT_EQ(k["expires_at"], "2026-09-21T14:14:20.500Z");
    EXPECT_EQ(k["name"], "nightly job");
    EXPECT_EQ(k["state"], "active");
  }
}

TEST_F(AdminApi, AnExpiryNotInTheFutureIsRefusedAndNothingIsMade) {
  ASSERT_EQ(Call("POST", "/admin/v1/tenants", kOperator, R"({"id":"acme"})").status, 201);
  for (const char* body : {R"({"role":"read","expires_at":"2026-09-21T14:13:20Z"})",
                           R"({"role":"read","expires_at":"2026-09-21T14:13:19.999Z"})",
                           R"({"role":"read","expires_at":"2020-01-01T00:00:00Z"})"}) {
    SCOPED_TRACE(body);
    auto refused = Call("POST", "/admin/v1/tenants/acme/apikeys", kOperator, body);
    EXPECT_EQ(refused.status, 400) << refused.body;
    EXPECT_EQ(CodeOf(refused), "invalid_expires_at");
  }
  EXPECT_TRUE(json::parse(Call("GET", "/admin/v1/tenants/acme/apikeys", kOperator).body)["keys"].empty());
  auto audit = json::parse(Call("GET", "/admin/v1/audit?tenant=acme", kOperator).body);
  for (const auto& e : audit["entries"]) EXPECT_NE(e["action"], "apikey.create") << e.dump();
  EXPECT_EQ(Call("POST", "/admin/v1/tenants/acme/apikeys", kOperator,
                 R"({"role":"read","expires_at":"2026-09-21T14:13:20.001Z"})")
                .status,
            201);
}

}  // namespace
}  // namespace tenantkv::server
