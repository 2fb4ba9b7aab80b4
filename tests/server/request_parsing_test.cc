// request_parsing.h: the pure body and query parsers behind the routes.
#include <gtest/gtest.h>

#include "server/request_parsing.h"

#include <string>
#include <vector>

namespace tenantkv::server {
namespace {

using engine::BatchOpType;
using nlohmann::json;

std::string CodeOf(const Status& s) { return s.ok() ? "ok" : s.reason(); }

TEST(ParseJsonObjectText, ObjectsOnly) {
  EXPECT_TRUE(ParseJsonObjectText(R"({"a":1})").ok());
  for (const char* body : {"", "[]", "1", "{", "\"x\"", "{\"a\":1}x", "{\"a\":\"\xff\"}"}) {
    SCOPED_TRACE(body);
    auto r = ParseJsonObjectText(body);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().reason(), "malformed_json");
  }
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

  EXPECT_EQ(*ParseApiKeyCreateBody(json::parse(R"({"role":"admin"})")), engine::Role::kAdmin);
  EXPECT_EQ(CodeOf(ParseApiKeyCreateBody(json::parse(R"({"role":"root"})")).status()), "invalid_role");
  EXPECT_EQ(CodeOf(ParseApiKeyCreateBody(json::parse(R"({})")).status()), "invalid_role");

  EXPECT_EQ(*ParseRevertBody(json::parse(R"({"version":3})")), 3);
  EXPECT_EQ(CodeOf(ParseRevertBody(json::parse(R"({"version":"3"})")).status()), "invalid_version");
  EXPECT_EQ(CodeOf(ParseRevertBody(json::parse(R"({"version":18446744073709551615})")).status()),
            "invalid_version");
}

}  // namespace
}  // namespace tenantkv::server
