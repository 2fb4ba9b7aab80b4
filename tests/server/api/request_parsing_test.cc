// request_parsing.h: the pure body and query parsers behind the routes.
#include <gtest/gtest.h>

#include "server/api/request_parsing.h"

#include <random>
#include <string>
#include <vector>

namespace tenantkv::server {
namespace {

using engine::BatchOpType;
using nlohmann::json;

std::string CodeOf(const Status& s) { return s.ok() ? "ok" : s.reason(); }

TEST(ParseApiKeyCreateBody, NameAndExpiry) {
  auto plain = ParseApiKeyCreateBody(json::parse(R"({"role":"read"})"));
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->options.name, "");
  EXPECT_EQ(plain->options.expires_at_ms, 0);
  auto nulls = ParseApiKeyCreateBody(json::parse(R"({"role":"read","name":null,"expires_at":null})"));
  ASSERT_TRUE(nulls.ok()) << nulls.status().ToString();
  EXPECT_EQ(nulls->options.name, "");
  EXPECT_EQ(nulls->options.expires_at_ms, 0);
  auto full = ParseApiKeyCreateBody(json::parse(
      R"({"role":"write","name":"ci \"deploy\" <script>","expires_at":"2030-01-31T12:00:00.250+01:00"})"));
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  EXPECT_EQ(full->role, engine::Role::kWrite);
  EXPECT_EQ(full->options.name, "ci \"deploy\" <script>");
  EXPECT_EQ(full->options.expires_at_ms, 1'896'087'600'250);  // 11:00:00.250Z
  struct Case {
    const char* body;
    const char* code;
  };
  const std::vector<Case> refused = {
      {R"({"role":"read","name":7})", "invalid_name"},
      {R"({"role":"read","name":["a"]})", "invalid_name"},
      {R"({"role":"read","name":""})", "invalid_name"},
      {R"({"role":"read","name":"a\u0007b"})", "invalid_name"},
      {R"({"role":"read","name":"a\u202eb"})", "invalid_name"},
      {R"({"role":"read","expires_at":1896609600})", "invalid_expires_at"},
      {R"({"role":"read","expires_at":true})", "invalid_expires_at"},
      {R"({"role":"read","expires_at":"tomorrow"})", "invalid_expires_at"},
      {R"({"role":"read","expires_at":"2030-01-31"})", "invalid_expires_at"},
      {R"({"role":"read","expires_at":"2030-01-31T12:00:00"})", "invalid_expires_at"},
      {R"({"role":"read","expires_at":"1969-12-31T23:59:59Z"})", "invalid_expires_at"},
      {R"({"role":"read","expires_at":"1970-01-01T00:00:00Z"})", "invalid_expires_at"},
      {R"({"role":"read","label":"x"})", "unknown_field"},
      {R"({"role":"root","name":"ok"})", "invalid_role"},
  };
  for (const Case& c : refused) {
    SCOPED_TRACE(c.body);
    EXPECT_EQ(CodeOf(ParseApiKeyCreateBody(json::parse(c.body)).status()), c.code);
  }
}

TEST(ParseJsonObjectText, ObjectsOnly) {
  EXPECT_TRUE(ParseJsonObjectText(R"({"a":1})").ok());
  for (const char* body : {"", "[]", "1", "{", "\"x\"", "{\"a\":1}x", "{\"a\":\"\xff\"}"}) {
    SCOPED_TRACE(body);
    auto r = ParseJsonObjectText(body);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().reason(), "malformed_json");
  }
}

// A body whose deepest value sits `depth` levels down: {"a":[[...[1]...]]}.
std::string NestedBody(size_t depth) {
  return R"({"a":)" + std::string(depth - 1, '[') + "1" + std::string(depth - 1, ']') + "}";
}

TEST(ParseJsonObjectText, NestsAtMost64Levels) {
  auto at_limit = ParseJsonObjectText(NestedBody(kMaxJsonDepth));
  ASSERT_TRUE(at_limit.ok()) << at_limit.status().ToString();
  EXPECT_EQ(*at_limit, json::parse(NestedBody(kMaxJsonDepth)));
  for (const std::string& body : {NestedBody(kMaxJsonDepth + 1), R"({"a":)" + std::string(8 << 20, '['),
                                  [] {
                                    std::string objects;
                                    for (int i = 0; i < 100000; ++i) objects += R"({"a":)";
                                    return objects;
                                  }()}) {
    SCOPED_TRACE(body.substr(0, 80));
    auto r = ParseJsonObjectText(body);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(r.status().reason(), "malformed_json");
    EXPECT_NE(r.status().message().find("deeper than the limit of 64"), std::string::npos)
        << r.status().message();
  }
  // The batch reader's fallback is the same parser.
  const std::string deep_batch = R"({"ops":[{"op":"get","key":"k"}],"x":)" + std::string(64, '[') +
                                 std::string(64, ']') + "}";
  EXPECT_EQ(CodeOf(ParseBatchText(deep_batch).status()), "malformed_json");
}

TEST(ParseJsonObjectText, BuildsWhatTheLibraryBuilds) {
  for (const char* body : {R"({})", R"({"a":1,"b":[true,false,null],"c":{"d":"e","f":-1.5e3}})",
                           R"({"dup":1,"dup":2})", R"({"u":18446744073709551615,"i":-9223372036854775808})",
                           R"({"s":"\u00e9\n","nested":[[],[{}],[[1,2],[3]]]})", " {\"ws\" : [ 1 , 2 ] } "}) {
    SCOPED_TRACE(body);
    auto r = ParseJsonObjectText(body);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(*r, json::parse(body));
    EXPECT_EQ(r->dump(), json::parse(body).dump());
  }
}

TEST(ParseAdminBodyText, RefusesMoreThan64KiBBeforeParsing) {
  const std::string object = R"({"role":"read"})";
  const std::string at_cap = object + std::string(kMaxAdminBodyBytes - object.size(), ' ');
  EXPECT_TRUE(ParseAdminBodyText(at_cap).ok());
  // One byte more is refused, even where it would not parse at all.
  for (const std::string& body : {at_cap + " ", std::string(kMaxAdminBodyBytes + 1, '[')}) {
    auto r = ParseAdminBodyText(body);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kTooLarge);
    EXPECT_EQ(r.status().reason(), "payload_too_large");
  }
  EXPECT_EQ(CodeOf(ParseAdminBodyText(NestedBody(kMaxJsonDepth + 1)).status()), "malformed_json");
}

TEST(ParseBatchBody, AcceptsPutDeleteGet) {
  auto ops = ParseBatchBody(json::parse(
      R"({"ops":[{"op":"put","key":"a","value_b64":"eA=="},{"op":"delete","key":"b"},{"op":"get","key":"c"}]})"));
  ASSERT_TRUE(ops.ok()) << ops.status().ToString();
  ASSERT_EQ(ops->size(), 3u);
  EXPECT_EQ((*ops)[0].type, BatchOpType::kPut);
  EXPECT_EQ((*ops)[0].value, "x");
  EXPECT_EQ((*ops)[1].type, BatchOpType::kDelete);
  EXPECT_EQ((*ops)[2].type, BatchOpType::kGet);
  EXPECT_EQ((*ops)[2].key, "c");
}

TEST(ParseBatchBody, RefusesMalformedOps) {
  struct Case {
    const char* name;
    const char* body;
    const char* code;
  };
  const std::vector<Case> cases = {
      {"no ops", R"({})", "invalid_batch"},
      {"extra member", R"({"ops":[],"x":1})", "unknown_field"},
      {"empty", R"({"ops":[]})", "invalid_batch"},
      {"not an object", R"({"ops":[1]})", "invalid_batch"},
      {"unknown op", R"({"ops":[{"op":"cas","key":"a"}]})", "invalid_batch"},
      {"key not a string", R"({"ops":[{"op":"get","key":1}]})", "invalid_batch"},
      {"put without value", R"({"ops":[{"op":"put","key":"a"}]})", "invalid_batch"},
      {"bad base64", R"({"ops":[{"op":"put","key":"a","value_b64":"e==="}]})", "invalid_batch"},
      {"non-canonical base64", R"({"ops":[{"op":"put","key":"a","value_b64":"QR=="}]})", "invalid_batch"},
      {"delete with value", R"({"ops":[{"op":"delete","key":"a","value_b64":""}]})", "invalid_batch"},
      {"unknown op member", R"({"ops":[{"op":"get","key":"a","ttl":1}]})", "invalid_batch"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(CodeOf(ParseBatchBody(json::parse(c.body)).status()), c.code);
  }
  json big = {{"ops", json::array()}};
  for (int i = 0; i < 1001; ++i) big["ops"].push_back({{"op", "get"}, {"key", "k"}});
  EXPECT_EQ(CodeOf(ParseBatchBody(big).status()), "invalid_batch");
}

// The full parse of a batch body's text: JSON document, then ParseBatchBody.
Result<std::vector<engine::BatchOp>> FullParse(std::string_view text) {
  TKV_ASSIGN_OR_RETURN(json body, ParseJsonObjectText(text));
  return ParseBatchBody(body);
}

void ExpectSameOps(const std::vector<engine::BatchOp>& a, const std::vector<engine::BatchOp>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].type, b[i].type) << "op " << i;
    EXPECT_EQ(a[i].key, b[i].key) << "op " << i;
    EXPECT_EQ(a[i].value, b[i].value) << "op " << i;
  }
}

TEST(ParsePlainBatchText, ReadsThePlainFormWithoutTheJsonLibrary) {
  const std::string body =
      " {\n \"ops\" : [ {\"key\":\"a b/c\",\"value_b64\":\"eA==\",\"op\":\"put\"},\t"
      "{\"op\":\"delete\",\"key\":\"b\"} ,{\"op\":\"get\",\"key\":\"\"},"
      "{\"op\":\"put\",\"key\":\"e\",\"value_b64\":\"\"}]}\r\n";
  auto plain = ParsePlainBatchText(body);
  ASSERT_TRUE(plain.has_value());
  auto full = FullParse(body);
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  ExpectSameOps(*plain, *full);
  EXPECT_EQ((*plain)[0].value, "x");
  EXPECT_EQ((*plain)[3].value, "");
}

TEST(ParsePlainBatchText, LeavesEverythingElseToTheFullParser) {
  // Valid bodies outside the plain form, and every refusal: nullopt, and
  // ParseBatchText answers what the full parser answers.
  for (const char* body : {
           R"({"ops":[{"op":"get","key":"\u0041"}]})",         // an escape
           "{\"ops\":[{\"op\":\"get\",\"key\":\"\xc3\xa9\"}]}",  // UTF-8
           R"({"ops":[{"op":"get","key":"a","key":"b"}]})",     // a member twice
           R"({"ops":[{"op":"get","key":"a"}],"ops":[]})",
           R"({"ops":[{"op":"get","key":1}]})", R"({"ops":[]})", R"({})", R"({"ops":[],"x":1})",
           R"({"ops":[{"op":"cas","key":"a"}]})", R"({"ops":[{"op":"put","key":"a"}]})",
           R"({"ops":[{"op":"put","key":"a","value_b64":"QR=="}]})",
           R"({"ops":[{"op":"delete","key":"a","value_b64":""}]})",
           R"({"ops":[{"op":"get","key":"a","ttl":"1"}]})", R"({"ops":[{"op":"get","key":"a"}]}x)",
           R"({"ops":[{"op":"get","key":"a"},]})", R"({"ops":[{"op":"get","key":"a"}])", R"([])", "",
       }) {
    SCOPED_TRACE(body);
    EXPECT_FALSE(ParsePlainBatchText(body).has_value());
    auto full = FullParse(body);
    auto text = ParseBatchText(body);
    ASSERT_EQ(text.ok(), full.ok());
    if (full.ok()) {
      ExpectSameOps(*text, *full);
    } else {
      EXPECT_EQ(text.status().reason(), full.status().reason());
      EXPECT_EQ(text.status().message(), full.status().message());
    }
  }
  std::string big = R"({"ops":[)";
  for (int i = 0; i < 1001; ++i) big += std::string(i ? "," : "") + R"({"op":"get","key":"k"})";
  big += "]}";
  EXPECT_FALSE(ParsePlainBatchText(big).has_value());
  EXPECT_EQ(CodeOf(ParseBatchText(big).status()), "invalid_batch");
}

TEST(ParsePlainBatchText, AgreesWithTheFullParserOnMutatedBodies) {
  // Plain bodies, then single-byte edits of them: whatever the plain
  // reader accepts, the full parser accepts with the same ops.
  std::mt19937 rng(1129);
  const std::string bytes = "{}[]:,\" \\abkopstuvegdl=AQ019+/\n\x7f\xc3\xa9";
  auto random_plain = [&] {
    std::string body = "{\"ops\":[";
    const int n = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < n; ++i) {
      if (i) body += ",";
      const std::string key = "k" + std::to_string(rng() % 100);
      switch (rng() % 3) {
        case 0: body += "{\"op\":\"put\",\"key\":\"" + key + "\",\"value_b64\":\"dmFs\"}"; break;
        case 1: body += "{\"op\":\"get\",\"key\":\"" + key + "\"}"; break;
        default: body += "{\"key\":\"" + key + "\",\"op\":\"delete\"}"; break;
      }
    }
    return body + "]}";
  };
  int plain_accepted = 0, mutants_accepted = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string body = random_plain();
    const bool mutate = round % 4 != 0;
    if (mutate) {
      const size_t at = rng() % body.size();
      switch (rng() % 3) {
        case 0: body[at] = bytes[rng() % bytes.size()]; break;
        case 1: body.erase(at, 1); break;
        default: body.insert(at, 1, bytes[rng() % bytes.size()]); break;
      }
    }
    auto plain = ParsePlainBatchText(body);
    if (!mutate) {
      ASSERT_TRUE(plain.has_value()) << body;
      ++plain_accepted;
    }
    if (!plain) continue;
    if (mutate) ++mutants_accepted;
    auto full = FullParse(body);
    ASSERT_TRUE(full.ok()) << body << ": " << full.status().ToString();
    ExpectSameOps(*plain, *full);
  }
  EXPECT_GT(plain_accepted, 1000);
  EXPECT_GT(mutants_accepted, 100);  // edits that stay plain (keys, base64) were compared too
}

TEST(ParseListQuery, ParametersAndLimits) {
  auto lr = ParseListQuery({{"prefix", "p/"}, {"start_after", "p/9"}, {"limit", "1000"}, {"values", "1"}});
  ASSERT_TRUE(lr.ok());
  EXPECT_EQ(lr->prefix, "p/");
  EXPECT_EQ(lr->start_after, "p/9");
  EXPECT_EQ(lr->limit, 1000u);
  EXPECT_TRUE(lr->with_values);
  EXPECT_FALSE(ParseListQuery({})->start_after.has_value());
  EXPECT_EQ(CodeOf(ParseListQuery({{"limit", "0"}}).status()), "invalid_limit");
  EXPECT_EQ(CodeOf(ParseListQuery({{"limit", "1001"}}).status()), "invalid_limit");
  EXPECT_EQ(CodeOf(ParseListQuery({{"limit", "5x"}}).status()), "invalid_limit");
  EXPECT_EQ(CodeOf(ParseListQuery({{"values", "yes"}}).status()), "invalid_parameter");
  EXPECT_EQ(CodeOf(ParseListQuery({{"cursor", "x"}}).status()), "invalid_parameter");
}

TEST(ParsePageQuery, LimitAndCursor) {
  auto page = ParsePageQuery({{"start_after", "k1"}, {"limit", "1000"}});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->start_after, "k1");
  EXPECT_EQ(page->limit, 1000u);
  auto defaults = ParsePageQuery({});
  ASSERT_TRUE(defaults.ok());
  EXPECT_FALSE(defaults->start_after.has_value());
  EXPECT_EQ(defaults->limit, 100u);
  for (const char* limit : {"0", "1001", "-1", "ten", ""}) {
    SCOPED_TRACE(limit);
    EXPECT_EQ(CodeOf(ParsePageQuery({{"limit", limit}}).status()), "invalid_limit");
  }
  EXPECT_EQ(CodeOf(ParsePageQuery({{"prefix", "a"}}).status()), "invalid_parameter");
}

TEST(ParseHistoryQuery, WindowIsAnHourOrADay) {
  auto hour = ParseHistoryQuery({});
  ASSERT_TRUE(hour.ok());
  EXPECT_EQ(*hour, engine::UsageWindow::kHour);
  auto day = ParseHistoryQuery({{"window", "24h"}});
  ASSERT_TRUE(day.ok());
  EXPECT_EQ(*day, engine::UsageWindow::kDay);
  ASSERT_TRUE(ParseHistoryQuery({{"window", "1h"}}).ok());
  for (const char* window : {"2h", "", "1H", "60m", "24h "}) {
    SCOPED_TRACE(window);
    EXPECT_EQ(CodeOf(ParseHistoryQuery({{"window", window}}).status()), "invalid_parameter");
  }
  EXPECT_EQ(CodeOf(ParseHistoryQuery({{"window", "1h"}, {"limit", "5"}}).status()), "invalid_parameter");
}

TEST(ParseTenantListQuery, PageAndFilters) {
  auto q = ParseTenantListQuery(
      {{"limit", "5"}, {"start_after", "acme"}, {"plan", "free"}, {"tier", "pooled"}, {"state", "suspended"}});
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->page.limit, 5u);
  EXPECT_EQ(q->page.start_after, "acme");
  EXPECT_EQ(q->plan, "free");
  EXPECT_EQ(q->tier, engine::Tier::kPooled);
  EXPECT_EQ(q->state, engine::TenantState::kSuspended);
  auto defaults = ParseTenantListQuery({});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->page.limit, 100u);
  EXPECT_FALSE(defaults->page.start_after || defaults->plan || defaults->tier || defaults->state);
  EXPECT_EQ(ParseTenantListQuery({{"tier", "column_family"}})->tier, engine::Tier::kColumnFamily);
  EXPECT_EQ(ParseTenantListQuery({{"state", "active"}})->state, engine::TenantState::kActive);
  EXPECT_EQ(ParseTenantListQuery({{"state", "deleting"}})->state, engine::TenantState::kDeleting);
  EXPECT_EQ(CodeOf(ParseTenantListQuery({{"tier", "nope"}}).status()), "unknown_tier");
  EXPECT_EQ(CodeOf(ParseTenantListQuery({{"state", "Active"}}).status()), "invalid_parameter");
  EXPECT_EQ(CodeOf(ParseTenantListQuery({{"limit", "0"}}).status()), "invalid_limit");
  EXPECT_EQ(ParseTenantListQuery({{"prefix", "a"}})->prefix, "a");
  EXPECT_EQ(CodeOf(ParseTenantListQuery({{"prefix", "A"}}).status()), "invalid_parameter");
  EXPECT_EQ(CodeOf(ParseTenantListQuery({{"prefix", ""}}).status()), "invalid_parameter");
  EXPECT_EQ(CodeOf(ParseTenantListQuery({{"tenant", "a"}}).status()), "invalid_parameter");
}

TEST(ParseClusterTenantListQuery, PagePrefixAndNodeOnly) {
  auto q = ParseClusterTenantListQuery({{"limit", "2"}, {"start_after", "x y"}, {"prefix", "ac"}, {"node", "n2"}});
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->page.limit, 2u);
  EXPECT_EQ(q->page.start_after, "x y") << "any string: the page starts after it";
  EXPECT_EQ(q->prefix, "ac");
  EXPECT_EQ(q->node, "n2");
  auto defaults = ParseClusterTenantListQuery({});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->page.limit, 100u);
  EXPECT_FALSE(defaults->page.start_after || defaults->prefix || defaults->node);
  EXPECT_EQ(ParseClusterTenantListQuery({{"limit", "1000"}})->page.limit, 1000u);
  for (const char* bad : {"0", "1001", "-1", "x", ""}) {
    EXPECT_EQ(CodeOf(ParseClusterTenantListQuery({{"limit", bad}}).status()), "invalid_limit") << bad;
  }
  for (const char* bad : {"", "N1", "-n", "n/1", "n 1"}) {
    EXPECT_EQ(CodeOf(ParseClusterTenantListQuery({{"node", bad}}).status()), "invalid_parameter") << bad;
  }
  EXPECT_EQ(CodeOf(ParseClusterTenantListQuery({{"prefix", "A"}}).status()), "invalid_parameter");
  for (const char* other : {"plan", "tier", "state", "values", "tenant"}) {
    EXPECT_EQ(CodeOf(ParseClusterTenantListQuery({{other, "active"}}).status()), "invalid_parameter") << other;
  }
}

TEST(ApplyQuotaFields, OverlaysIntegersOnly) {
  engine::Quota q;
  ASSERT_TRUE(ApplyQuotaFields(json::parse(R"({"weight": 7})"), &q).ok());
  EXPECT_EQ(q.weight, 7);
  EXPECT_EQ(CodeOf(ApplyQuotaFields(json::parse(R"({"weight": 1.5})"), &q)), "invalid_quota");
  EXPECT_EQ(CodeOf(ApplyQuotaFields(json::parse(R"({"weight": "2"})"), &q)), "invalid_quota");
  EXPECT_EQ(CodeOf(ApplyQuotaFields(json::parse(R"({"nope": 2})"), &q)), "unknown_field");
  EXPECT_EQ(CodeOf(ApplyQuotaFields(json::parse("[]"), &q)), "invalid_quota");
  // Above INT64_MAX: refused, not wrapped to a negative number.
  EXPECT_EQ(CodeOf(ApplyQuotaFields(json::parse(R"({"weight": 18446744073709551615})"), &q)), "invalid_quota");
  ASSERT_TRUE(ApplyQuotaFields(json::parse(R"({"storage_bytes": 9223372036854775807})"), &q).ok());
  EXPECT_EQ(q.storage_bytes, INT64_MAX);
  EXPECT_EQ(q.weight, 7);
}

TEST(ApplyPlanBody, OverlaysEachPart) {
  engine::Plan p;
  ASSERT_TRUE(ApplyPlanBody(json::parse(R"({"min":{"weight":1},"max":{"weight":9}})"), &p).ok());
  EXPECT_EQ(p.min.weight, 1);
  EXPECT_EQ(p.max.weight, 9);
  EXPECT_EQ(CodeOf(ApplyPlanBody(json::parse(R"({"name":"x"})"), &p)), "unknown_field");
  EXPECT_EQ(CodeOf(ApplyPlanBody(json::parse(R"({"defaults":1})"), &p)), "invalid_quota");
}

TEST(AdminBodies, TenantApiKeyAndRevert) {
  auto t = ParseTenantCreateBody(json::parse(R"({"id":"acme","plan":"free"})"));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->id, "acme");
  EXPECT_EQ(t->plan, "free");
  EXPECT_EQ(ParseTenantCreateBody(json::parse(R"({"id":"acme"})"))->plan, "");
  EXPECT_EQ(CodeOf(ParseTenantCreateBody(json::parse(R"({"id":1})")).status()), "invalid_tenant_id");
  EXPECT_EQ(CodeOf(ParseTenantCreateBody(json::parse(R"({"id":"a","plan":2})")).status()), "invalid_field");
  EXPECT_EQ(CodeOf(ParseTenantCreateBody(json::parse(R"({"id":"a","x":2})")).status()), "unknown_field");
  EXPECT_FALSE(ParseTenantCreateBody(json::parse(R"({"id":"acme"})"))->tier.has_value());
  EXPECT_EQ(ParseTenantCreateBody(json::parse(R"({"id":"a","tier":"pooled"})"))->tier, engine::Tier::kPooled);
  EXPECT_EQ(ParseTenantCreateBody(json::parse(R"({"id":"a","tier":"column_family"})"))->tier,
            engine::Tier::kColumnFamily);
  EXPECT_EQ(CodeOf(ParseTenantCreateBody(json::parse(R"({"id":"a","tier":"Dedicated"})")).status()), "unknown_tier");
  EXPECT_EQ(CodeOf(ParseTenantCreateBody(json::parse(R"({"id":"a","tier":"POOLED"})")).status()), "unknown_tier");
  EXPECT_EQ(CodeOf(ParseTenantCreateBody(json::parse(R"({"id":"a","tier":1})")).status()), "invalid_field");

  EXPECT_EQ(ParseApiKeyCreateBody(json::parse(R"({"role":"admin"})"))->role, engine::Role::kAdmin);
  EXPECT_EQ(CodeOf(ParseApiKeyCreateBody(json::parse(R"({"role":"root"})")).status()), "invalid_role");
  EXPECT_EQ(CodeOf(ParseApiKeyCreateBody(json::parse(R"({})")).status()), "invalid_role");

  EXPECT_EQ(*ParseRevertBody(json::parse(R"({"version":3})")), 3);
  EXPECT_EQ(CodeOf(ParseRevertBody(json::parse(R"({"version":"3"})")).status()), "invalid_version");
  EXPECT_EQ(CodeOf(ParseRevertBody(json::parse(R"({"version":0})")).status()), "invalid_version");
  EXPECT_EQ(CodeOf(ParseRevertBody(json::parse(R"({"version":-1})")).status()), "invalid_version");
  EXPECT_EQ(CodeOf(ParseRevertBody(json::parse(R"({"version":18446744073709551615})")).status()),
            "invalid_version");
}

TEST(QuotaRequestBodies, FieldsReasonAndExpiry) {
  auto ok = ParseQuotaRequestBody(json::parse(
      R"({"fields":{"requests_per_sec":2000,"burst_requests":4000},"reason":"launch","expires_at":"2030-01-31T12:00:00Z"})"));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->fields, (std::map<std::string, int64_t>{{"burst_requests", 4000}, {"requests_per_sec", 2000}}));
  EXPECT_EQ(ok->reason, "launch");
  EXPECT_EQ(ok->expires_at_ms, 1896091200000);
  EXPECT_EQ(ParseQuotaRequestBody(json::parse(R"({"fields":{"weight":2},"reason":"r","expires_at":null})"))
                ->expires_at_ms,
            0);
  struct Case { const char* body; const char* code; };
  const Case cases[] = {
      {R"({"fields":{"weight":2},"reason":"r","x":1})", "unknown_field"},
      {R"({"fields":{"nope":2},"reason":"r"})", "unknown_field"},
      {R"({"fields":{},"reason":"r"})", "invalid_quota"},
      {R"({"fields":[1],"reason":"r"})", "invalid_quota"},
      {R"({"reason":"r"})", "invalid_quota"},
      {R"({"fields":{"weight":2.5},"reason":"r"})", "invalid_quota"},
      {R"({"fields":{"weight":18446744073709551615},"reason":"r"})", "invalid_quota"},
      {R"({"fields":{"weight":2}})", "invalid_reason"},
      {R"({"fields":{"weight":2},"reason":7})", "invalid_reason"},
      {R"({"fields":{"weight":2},"reason":"r","expires_at":"2030-01-31"})", "invalid_expires_at"},
      {R"({"fields":{"weight":2},"reason":"r","expires_at":5})", "invalid_expires_at"},
      {R"({"fields":{"weight":2},"reason":"r","expires_at":"1969-12-31T23:59:59Z"})", "invalid_expires_at"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    EXPECT_EQ(CodeOf(ParseQuotaRequestBody(json::parse(c.body)).status()), c.code);
  }
}

TEST(QuotaRequestBodies, DecisionCommentAndListQuery) {
  EXPECT_EQ(*ParseQuotaDecisionBody(json::object()), "");
  EXPECT_EQ(*ParseQuotaDecisionBody(json::parse(R"({"comment":null})")), "");
  EXPECT_EQ(*ParseQuotaDecisionBody(json::parse(R"({"comment":"ok"})")), "ok");
  EXPECT_EQ(CodeOf(ParseQuotaDecisionBody(json::parse(R"({"comment":1})")).status()), "invalid_comment");
  EXPECT_EQ(CodeOf(ParseQuotaDecisionBody(json::parse(R"({"comment":"a\nb"})")).status()), "invalid_comment");
  EXPECT_EQ(CodeOf(ParseQuotaDecisionBody(json{{"comment", std::string(1025, 'x')}}).status()), "invalid_comment");
  EXPECT_EQ(CodeOf(ParseQuotaDecisionBody(json::parse(R"({"note":"x"})")).status()), "unknown_field");

  auto q = ParseQuotaRequestListQuery({{"state", "pending"}, {"tenant", "acme"}, {"limit", "5"}, {"start_after", "qr_1"}});
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->filter.state, engine::QuotaRequestState::kPending);
  EXPECT_EQ(q->filter.tenant, "acme");
  EXPECT_EQ(q->page.limit, 5u);
  EXPECT_EQ(q->page.start_after, "qr_1");
  EXPECT_EQ(CodeOf(ParseQuotaRequestListQuery({{"state", "open"}}).status()), "invalid_parameter");
  EXPECT_EQ(CodeOf(ParseQuotaRequestListQuery({{"tenant", "Not A Tenant"}}).status()), "invalid_parameter");
  EXPECT_EQ(CodeOf(ParseQuotaRequestListQuery({{"sort", "id"}}).status()), "invalid_parameter");
  EXPECT_EQ(CodeOf(ParseQuotaRequestListQuery({{"limit", "0"}}).status()), "invalid_limit");
}

}  // namespace
}  // namespace tenantkv::server
