// Unit tests of tenancy as code: YAML <-> JSON, the file's schema checks,
// the diff against a live state, export, and docs/tenancy.schema.json with
// its example files.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "tests/testing/json_schema_check.h"
#include "tools/admin/cli_errors.h"
#include "tools/admin/tenancy_commands.h"
#include "tools/admin/tenancy_diff.h"
#include "tools/admin/tenancy_file.h"
#include "tools/admin/yaml_json.h"

#ifndef TENANTKV_DOCS_DIR
#error "TENANTKV_DOCS_DIR must name the docs folder"
#endif

namespace tenantkv::tools {
namespace {

std::string ReadDoc(const std::string& name) {
  std::ifstream in(std::string(TENANTKV_DOCS_DIR) + "/" + name, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

nlohmann::json Plain(const Json& j) { return nlohmann::json::parse(j.dump()); }

// ------------------------------------------------------------ YAML <-> JSON

TEST(YamlToJson, ReadsScalarsAsYamlCoreSchema) {
  Result<Json> j = YamlToJson(
      "i: 42\nneg: -7\nq: \"42\"\ns: '007'\nb: true\nn: ~\ne:\nf: 1.5\nt: 2030-01-01T00:00:00Z\nw: deploy "
      "bot\n");
  ASSERT_TRUE(j.ok()) << j.status().message();
  EXPECT_EQ((*j)["i"], 42);
  EXPECT_EQ((*j)["neg"], -7);
  EXPECT_EQ((*j)["q"], "42");
  EXPECT_EQ((*j)["s"], "007");
  EXPECT_EQ((*j)["b"], true);
  EXPECT_TRUE((*j)["n"].is_null());
  EXPECT_TRUE((*j)["e"].is_null());
  EXPECT_TRUE((*j)["f"].is_number_float());
  EXPECT_EQ((*j)["t"], "2030-01-01T00:00:00Z");
  EXPECT_EQ((*j)["w"], "deploy bot");
}

TEST(YamlToJson, RefusesWithWhereAndWhy) {
  struct Case {
    const char* yaml;
    const char* message;
  };
  const Case cases[] = {
      {"tenants:\n  - id: a\n    id: b\n", "tenants[0]: key 'id' given twice"},
      {"a: 1\n---\nb: 2\n", "2 YAML documents"},
      {"", "it is empty"},
      {"a: [1, 2\n", "not valid YAML: line"},
      {"x: 99999999999999999999\n", "x: integer 99999999999999999999 does not fit in 64 bits"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.yaml);
    Result<Json> j = YamlToJson(c.yaml);
    ASSERT_FALSE(j.ok());
    EXPECT_NE(j.status().message().find(c.message), std::string::npos) << j.status().message();
  }
}

TEST(JsonToYaml, ReadsBackAsTheSameJson) {
  const Json doc = Json::parse(R"({"s":["true","007","","a: b","# not a comment","two\nlines","~","1.5",
      "caf\u00e9","-","null"],"n":{"int":-3,"big":2305843009213693951,"empty":{},"none":[],"z":null,"t":false},
      "007":"key that looks like a number"})");
  Result<Json> back = YamlToJson(JsonToYaml(doc));
  ASSERT_TRUE(back.ok()) << back.status().message() << "\n" << JsonToYaml(doc);
  EXPECT_EQ(*back, doc) << JsonToYaml(doc);
}

// ------------------------------------------------------------ the file's schema

TEST(ParseTenancySpec, NamesThePathOfTheFirstProblem) {
  struct Case {
    const char* json;
    const char* message;
  };
  const Case cases[] = {
      {R"({"tenants":[{"id":"a"},{"id":"b"},{"id":"c"},{"id":"d","quota":{"requests_per_sec":"300"}}]})",
       "tenants[3].quota.requests_per_sec: expected an integer"},
      {R"({"tenants":[{"id":"a","quota":{"weight":1.5}}]})", "tenants[0].quota.weight: expected an integer"},
      {R"({"tenants":[{"id":"a","color":"red"}]})", "tenants[0].color: unknown field"},
      {R"({"tenant":[]})", "tenant: unknown field"},
      {R"({"tenants":[{"id":"a"},{"id":"a"}]})", "tenants[1].id: tenant 'a' given twice"},
      {R"({"plans":[{"name":"gold"},{"name":"gold"}]})", "plans[1].name: plan 'gold' given twice"},
      {R"({"tenants":[{"id":"a","api_keys":[{"name":"k","role":"read"},{"name":"k","role":"write"}]}]})",
       "tenants[0].api_keys[1].name: key name 'k' given twice"},
      {R"({"tenants":[{"id":"a","api_keys":[{"name":"k","role":"owner"}]}]})",
       "tenants[0].api_keys[0].role: 'owner' is not one of"},
      {R"({"tenants":[{"id":"a","api_keys":[{"role":"read"}]}]})", "tenants[0].api_keys[0].name: missing"},
      {R"({"tenants":[{"id":"a","api_keys":[{"name":"","role":"read"}]}]})",
       "tenants[0].api_keys[0].name: expected 1 to 128"},
      {R"({"tenants":[{"id":"a","api_keys":[{"name":"a\u0007b","role":"read"}]}]})",
       "tenants[0].api_keys[0].name: holds a control"},
      {R"({"tenants":[{"id":"a","state":"deleting"}]})", "tenants[0].state: 'deleting' is not one of"},
      {R"({"tenants":[{"id":"a","tier":"shared"}]})", "tenants[0].tier: 'shared' is not one of"},
      {R"({"tenants":[{"id":"Acme"}]})", "tenants[0].id: 'Acme' does not match"},
      {R"({"tenants":[{"plan":"free"}]})", "tenants[0].id: missing"},
      {R"({"tenants":{"id":"a"}})", "tenants: expected a list"},
      {R"({"plans":[{"name":"gold","max":[1]}]})", "plans[0].max: expected a mapping"},
      {R"({"version":2})", "version: expected 1"},
      {R"([1])", "the file: expected a mapping"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.json);
    Result<TenancySpec> spec = ParseTenancySpec(Json::parse(c.json));
    ASSERT_FALSE(spec.ok());
    EXPECT_EQ(spec.status().reason(), kTenancyFileReason);
    EXPECT_NE(spec.status().message().find(c.message), std::string::npos) << spec.status().message();
  }
}

TEST(ReadTenancyFile, YamlAndJsonExamplesMeanTheSame) {
  const std::string dir = TENANTKV_DOCS_DIR;
  Result<TenancyFile> yaml = ReadTenancyFile(dir + "/tenancy.example.yaml");
  Result<TenancyFile> json = ReadTenancyFile(dir + "/tenancy.example.json");
  ASSERT_TRUE(yaml.ok()) << yaml.status().message();
  ASSERT_TRUE(json.ok()) << json.status().message();
  EXPECT_EQ(*YamlToJson(ReadDoc("tenancy.example.yaml")), Json::parse(ReadDoc("tenancy.example.json")));
  EXPECT_NE(yaml->sha256_hex, json->sha256_hex);  // the digest is of the bytes
  ASSERT_EQ(yaml->spec.tenants.size(), 2u);
  EXPECT_EQ(yaml->spec.tenants[0].api_keys->at(1).expires_at.value_or(""), "2030-01-01T00:00:00Z");
  Result<TenancyFile> missing = ReadTenancyFile(dir + "/no-such-file.yaml");
  EXPECT_FALSE(missing.ok());
}

TEST(ReadTenancyFile, JsonKeysGivenTwiceAndSyntaxErrorsAreRefused) {
  struct Case {
    const char* name;
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"dup.json", R"({"tenants":[{"id":"a","quota":{"weight":1,"weight":2}}]})", "key 'weight' given twice"},
      {"bad.json", "{\"tenants\": [\n  {\"id\": \"a\",}\n]}", "not valid JSON: "},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string path = ::testing::TempDir() + c.name;
    std::ofstream(path, std::ios::binary) << c.text;
    Result<TenancyFile> file = ReadTenancyFile(path);
    ASSERT_FALSE(file.ok());
    EXPECT_NE(file.status().message().find(c.message), std::string::npos) << file.status().message();
    EXPECT_EQ(file.status().message().rfind(path + ": ", 0), 0u) << file.status().message();
  }
}

TEST(Sha256Hex, KnownVector) {
  EXPECT_EQ(*Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// ------------------------------------------------------------ schema

TEST(TenancySchema, ExamplesConformAndBadDocumentsDoNot) {
  const nlohmann::json schema = nlohmann::json::parse(ReadDoc("tenancy.schema.json"));
  EXPECT_EQ(testing::CheckJsonSchema(schema, nlohmann::json::parse(ReadDoc("tenancy.example.json"))),
            std::vector<std::string>{});
  EXPECT_EQ(testing::CheckJsonSchema(schema, Plain(*YamlToJson(ReadDoc("tenancy.example.yaml")))),
            std::vector<std::string>{});
  const char* bad[] = {
      R"({"tenants":[{"id":"a","quota":{"requests_per_second":1}}]})",
      R"({"tenants":[{"id":"a","quota":{"weight":0}}]})",
      R"({"tenants":[{"id":"a","api_keys":[{"name":"k"}]}]})",
      R"({"plans":[{"name":"Gold"}]})",
      R"({"extra":1})",
  };
  for (const char* doc : bad) {
    SCOPED_TRACE(doc);
    EXPECT_FALSE(testing::CheckJsonSchema(schema, nlohmann::json::parse(doc)).empty());
  }
}

// ------------------------------------------------------------ diff

Json Quota(int rps, int weight) { return Json{{"requests_per_sec", rps}, {"weight", weight}}; }

LiveState Live() {
  LiveState live;
  live.plans["standard"] = Json{{"defaults", Quota(500, 2)}, {"min", Quota(1, 1)}, {"max", Quota(500, 2)}};
  live.plans["free"] = Json{{"defaults", Quota(50, 1)}, {"min", Quota(1, 1)}, {"max", Quota(50, 1)}};
  live.quota_fields = QuotaFieldsOf(live.plans);
  live.tenants["acme"] = LiveTenant{
      "acme",   "standard",    "column_family",
      "active", Quota(100, 2), {{"k1", "deploy", "read", std::nullopt}, {"k2", "old", "read", std::nullopt}}};
  live.tenants["old"] = LiveTenant{"old", "free", "pooled", "active", Quota(50, 1), {}};
  live.tenants["gone"] = LiveTenant{"gone", "free", "pooled", "deleting", Json::object(), {}};
  return live;
}

std::vector<std::string> Lines(const std::vector<TenancyChange>& changes) {
  std::vector<std::string> out;
  for (const auto& c : changes) out.insert(out.end(), c.lines.begin(), c.lines.end());
  return out;
}

Result<std::vector<TenancyChange>> Diff(const std::string& yaml, bool prune = false) {
  Result<Json> doc = YamlToJson(yaml);
  if (!doc.ok()) return doc.status();
  Result<TenancySpec> spec = ParseTenancySpec(*doc);
  if (!spec.ok()) return spec.status();
  return DiffTenancy(*spec, Live(), prune);
}

TEST(DiffTenancy, OneLinePerChangeInAStableOrder) {
  Result<std::vector<TenancyChange>> changes = Diff(R"(
tenants:
  - id: zeta
    plan: gold
    quota: {requests_per_sec: 300}
    api_keys: [{name: ci, role: write}]
  - id: acme
    state: suspended
    quota: {requests_per_sec: 300}
    api_keys: [{name: deploy, role: write}, {name: "audit bot", role: read, expires_at: "2030-01-01T00:00:00Z"}]
plans:
  - name: gold
    defaults: {requests_per_sec: 800}
    max: {requests_per_sec: 1000}
  - name: free
    defaults: {weight: 1}
    max: {weight: 3}
)");
  ASSERT_TRUE(changes.ok()) << changes.status().message();
  EXPECT_EQ(Lines(*changes),
            (std::vector<std::string>{
                "~ plan free max.weight 1 -> 3",
                "+ plan gold",
                "~ plan gold defaults.requests_per_sec 500 -> 800",
                "~ plan gold max.requests_per_sec 500 -> 1000",
                "~ tenant acme quota.requests_per_sec 100 -> 300",
                "+ apikey acme \"audit bot\" (role read, expires 2030-01-01T00:00:00Z)",
                "~ apikey acme \"deploy\" role read -> write (rotate: create a new key, then revoke k1)",
                "~ tenant acme state active -> suspended",
                "+ tenant zeta (plan gold)",
                "~ tenant zeta quota.requests_per_sec 800 -> 300",
                "+ apikey zeta \"ci\" (role write)",
            }));
  // A new plan is sent whole (so it does not hang on standard's state), a
  // change only with what changes; a rotation creates, then revokes.
  const TenancyChange& gold = (*changes)[1];
  ASSERT_EQ(gold.requests.size(), 1u);
  EXPECT_EQ(gold.requests[0].method, "PUT");
  EXPECT_EQ(gold.requests[0].path, "/admin/v1/plans/gold");
  EXPECT_EQ((*gold.requests[0].body)["defaults"], Quota(800, 2));
  EXPECT_EQ((*gold.requests[0].body)["min"], Quota(1, 1));
  EXPECT_EQ((*changes)[0].requests[0].body->dump(), R"({"max":{"weight":3}})");
  const TenancyChange& rotate = (*changes)[4];
  ASSERT_EQ(rotate.requests.size(), 2u);
  EXPECT_EQ(rotate.requests[0].method, "POST");
  EXPECT_EQ(rotate.requests[1].method, "DELETE");
  EXPECT_EQ(rotate.requests[1].path, "/admin/v1/tenants/acme/apikeys/k1");
  ASSERT_TRUE(rotate.new_key.has_value());
  EXPECT_EQ(rotate.new_key->role, "write");
  for (const auto& c : *changes) EXPECT_FALSE(c.deletes_tenant);
}

TEST(DiffTenancy, PruneDeletesTenantsAndRevokesNamedKeysNotInTheFile) {
  const std::string file = "tenants:\n  - id: acme\n    api_keys: [{name: deploy, role: read}]\n";
  Result<std::vector<TenancyChange>> kept = Diff(file);
  ASSERT_TRUE(kept.ok()) << kept.status().message();
  EXPECT_TRUE(kept->empty());
  Result<std::vector<TenancyChange>> pruned = Diff(file, /*prune=*/true);
  ASSERT_TRUE(pruned.ok()) << pruned.status().message();
  // "gone" is being deleted already: left alone.
  EXPECT_EQ(Lines(*pruned), (std::vector<std::string>{"- apikey acme \"old\" (revoke k2)", "- tenant old"}));
  EXPECT_FALSE((*pruned)[0].deletes_tenant);
  EXPECT_TRUE((*pruned)[1].deletes_tenant);
  EXPECT_EQ((*pruned)[1].requests[0].method, "DELETE");
  EXPECT_EQ((*pruned)[1].requests[0].path, "/admin/v1/tenants/old");
  // Without api_keys in the file, the tenant's keys are not managed, pruned or not.
  Result<std::vector<TenancyChange>> unmanaged = Diff("tenants:\n  - id: acme\n  - id: old\n", true);
  ASSERT_TRUE(unmanaged.ok());
  EXPECT_TRUE(unmanaged->empty()) << Lines(*unmanaged).front();
}

TEST(DiffTenancy, AGivenQuotaManagesEveryField) {
  Result<std::vector<TenancyChange>> changes = Diff("tenants:\n  - id: acme\n    quota: {}\n");
  ASSERT_TRUE(changes.ok());
  EXPECT_EQ(Lines(*changes), std::vector<std::string>{"~ tenant acme quota.requests_per_sec 100 -> 500"});
  EXPECT_EQ((*changes)[0].requests[0].body->dump(), R"({"requests_per_sec":500})");
}

TEST(DiffTenancy, RefusesWhatTheServerCannotDo) {
  struct Case {
    const char* yaml;
    const char* message;
  };
  const Case cases[] = {
      {"tenants:\n  - id: acme\n    plan: free\n", "tenants[0].plan: tenant 'acme' is on plan 'standard'"},
      {"tenants:\n  - id: acme\n    tier: pooled\n",
       "tenants[0].tier: tenant 'acme' is placed column_family"},
      {"tenants:\n  - id: new\n    plan: gold\n", "tenants[0].plan: no plan 'gold'"},
      {"tenants:\n  - id: gone\n", "tenants[0].id: tenant 'gone' is being deleted"},
      {"tenants:\n  - id: acme\n    quota: {request_per_sec: 1}\n",
       "tenants[0].quota.request_per_sec: not a quota field of this server"},
      {"plans:\n  - name: free\n    defaults: {weight: 5}\n",
       "plans[0]: needs min <= defaults <= max for weight, but they would be 1, 5, 1"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.yaml);
    Result<std::vector<TenancyChange>> changes = Diff(c.yaml);
    ASSERT_FALSE(changes.ok());
    EXPECT_NE(changes.status().message().find(c.message), std::string::npos) << changes.status().message();
  }
}

TEST(ExportTenancy, HasNoDriftAgainstItsOwnState) {
  LiveState live = Live();
  live.tenants["acme"].keys.push_back({"k3", "deploy", "admin", std::string("2030-01-01T00:00:00Z")});
  live.tenants["acme"].keys.push_back({"k4", "deploy", "read", std::nullopt});
  const Json doc = ExportTenancy(live);
  EXPECT_EQ(doc["tenants"].size(), 2u);  // not "gone"
  EXPECT_EQ(doc["tenants"][0]["quota"], (Json{{"requests_per_sec", 100}}));
  EXPECT_EQ(doc["tenants"][0]["api_keys"].dump(),
            R"([{"name":"deploy","role":"read"},{"name":"old","role":"read"}])");
  Result<TenancySpec> spec = ParseTenancySpec(*YamlToJson(JsonToYaml(doc)));
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  for (bool prune : {false, true}) {
    Result<std::vector<TenancyChange>> changes = DiffTenancy(*spec, live, prune);
    ASSERT_TRUE(changes.ok()) << changes.status().message();
    // With --prune, one key per name stays: the extra "deploy" keys go.
    EXPECT_EQ(Lines(*changes).size(), prune ? 2u : 0u);
  }
}

// ------------------------------------------------------------ fetch and apply

// Answers "METHOD path" from a table (404 otherwise) and keeps what was sent.
class TableTransport final : public HttpTransport {
 public:
  std::map<std::string, std::pair<int, std::string>> answers;
  std::vector<HttpRequest> sent;

  Result<HttpResponse> Send(const HttpRequest& request) override {
    sent.push_back(request);
    auto it = answers.find(request.method + " " + request.path);
    if (it == answers.end()) return HttpResponse{404, "application/problem+json", R"({"code":"not_found"})"};
    return HttpResponse{it->second.first, "application/json", it->second.second};
  }
};

std::string WriteTemp(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

void AddServerBasics(TableTransport& t) {
  t.answers["GET /admin/v1/plans"] = {
      200,
      R"({"plans":[{"name":"standard","defaults":{"weight":2},"min":{"weight":1},"max":{"weight":4}}]})"};
  t.answers["GET /admin/v1/tenants?limit=1000"] = {
      200, R"({"tenants":[{"id":"a","plan":"standard","tier":"pooled","state":"active","quota":{"weight":2}}],
             "next":"a"})"};
  t.answers["GET /admin/v1/tenants?limit=1000&start_after=a"] = {
      200, R"({"tenants":[{"id":"b","plan":"standard","tier":"pooled","state":"active","quota":{"weight":2}}],
             "next":null})"};
}

TEST(FetchLiveState, FollowsThePagesAndKeepsActiveNamedKeys) {
  TableTransport t;
  AddServerBasics(t);
  t.answers["GET /admin/v1/tenants/b/apikeys?limit=1000"] = {
      200, R"({"keys":[{"key_id":"k1","name":"ci","role":"read","state":"active","expires_at":null},
                      {"key_id":"k2","name":null,"role":"read","state":"active"},
                      {"key_id":"k3","name":"old","role":"read","state":"revoked"}],"next":"k3"})"};
  t.answers["GET /admin/v1/tenants/b/apikeys?limit=1000&start_after=k3"] = {
      200, R"({"keys":[{"key_id":"k4","name":"ops","role":"admin","state":"active",
                       "expires_at":"2030-01-01T00:00:00Z"}],"next":null})"};
  Result<TenancySpec> spec = ParseTenancySpec(Json::parse(R"({"tenants":[{"id":"b","api_keys":[]}]})"));
  ASSERT_TRUE(spec.ok());
  Result<LiveState> live = FetchLiveState(t, &*spec);
  ASSERT_TRUE(live.ok()) << live.status().message();
  EXPECT_EQ(live->quota_fields, std::vector<std::string>{"weight"});
  ASSERT_EQ(live->tenants.size(), 2u);
  EXPECT_TRUE(live->tenants.at("a").keys.empty());  // its keys are not managed: not fetched
  const auto& keys = live->tenants.at("b").keys;
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].key_id, "k1");
  EXPECT_FALSE(keys[0].expires_at.has_value());
  EXPECT_EQ(keys[1].key_id, "k4");
  EXPECT_EQ(keys[1].expires_at.value_or(""), "2030-01-01T00:00:00Z");
  for (const auto& r : t.sent) EXPECT_NE(r.path, "/admin/v1/tenants/a/apikeys?limit=1000");
}

// A failed request stops apply: the error names the change and how many
// were made, and a token made before it has been printed.
TEST(RunApply, StopsAtAFailedChangeKeepingWhatWasMade) {
  const std::string text =
      "tenants:\n  - id: a\n    state: suspended\n    quota: {weight: 3}\n    api_keys: [{name: x, role: "
      "read}]\n";
  TableTransport t;
  AddServerBasics(t);
  t.answers["GET /admin/v1/tenants/a/apikeys?limit=1000"] = {200, R"({"keys":[],"next":null})"};
  t.answers["PUT /admin/v1/tenants/a/quota"] = {200, R"({"version":2})"};
  t.answers["POST /admin/v1/tenants/a/apikeys"] = {201, R"({"key_id":"k9","token":"tkv_k9_secret"})"};
  t.answers["POST /admin/v1/tenants/a/suspend"] = {
      503, R"({"code":"unavailable","detail":"try later","status":503})"};
  ApplyOptions options;
  options.file = WriteTemp("stop.yaml", text);
  options.reason = "ticket 7";
  std::ostringstream out;
  Result<int> run = RunApply(options, t, out);
  ASSERT_FALSE(run.ok());
  EXPECT_EQ(ExitCodeFor(run.status()), kExitFailure);
  EXPECT_NE(
      run.status().message().find(
          "apply stopped at '~ tenant a state active -> suspended' after 2 changes of 3: 503 unavailable"),
      std::string::npos)
      << run.status().message();
  EXPECT_EQ(out.str(),
            "~ tenant a quota.weight 2 -> 3\n"
            "+ apikey a \"x\" (role read)\n"
            "  token of apikey a \"x\" (key k9): tkv_k9_secret\n"
            "~ tenant a state active -> suspended\n");
  const std::string source = "apply:sha256:" + *Sha256Hex(text);
  for (const auto& r : t.sent) {
    SCOPED_TRACE(r.method + " " + r.path);
    if (r.method == "GET") {
      EXPECT_TRUE(r.headers.empty());
      continue;
    }
    using Headers = std::vector<std::pair<std::string, std::string>>;
    EXPECT_EQ(r.headers,
              (Headers{{"Tenantkv-Change-Source", source}, {"Tenantkv-Change-Reason", "ticket 7"}}));
  }
  // The same file as a dry run: the diff, exit 3, nothing sent but reads.
  t.sent.clear();
  options.dry_run = true;
  std::ostringstream dry;
  Result<int> plan = RunApply(options, t, dry);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(*plan, kExitDrift);
  EXPECT_NE(dry.str().find("3 changes to apply\n"), std::string::npos) << dry.str();
  for (const auto& r : t.sent) EXPECT_EQ(r.method, "GET");
}

}  // namespace
}  // namespace tenantkv::tools
