// Quota fields, validation, built-in plans, plan ranges and diffs.
#include "engine/quota/quota.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace tenantkv::engine {
namespace {

constexpr int64_t kBig = std::numeric_limits<int64_t>::max() / 4;

// api.md's Quotas table, in order, with each field's absolute bounds.
struct FieldSpec {
  const char* name;
  int64_t min;
  int64_t max;
};
const std::vector<FieldSpec>& ExpectedFields() {
  static const std::vector<FieldSpec> kSpecs = {
      {"requests_per_sec", 1, 10'000'000},
      {"burst_requests", 1, 100'000'000},
      {"read_bytes_per_sec", 1, kBig},
      {"write_bytes_per_sec", 1, kBig},
      {"burst_read_bytes", 1, kBig},
      {"burst_write_bytes", 1, kBig},
      {"max_concurrent", 1, 100'000},
      {"storage_bytes", 1, kBig},
      {"storage_soft_pct", 1, 100},
      {"storage_grace_pct", 0, 100},
      {"storage_grace_seconds", 0, 30 * 24 * 3600},
      {"max_value_bytes", 1, 64 << 20},
      {"weight", 1, 10'000},
      {"reserved_ops_per_sec", 0, 10'000'000},
      {"max_queue_ms", 1, 600'000},
  };
  return kSpecs;
}

// The fields in api.md's order, read without QuotaFields().
std::vector<int64_t> Values(const Quota& q) {
  return {q.requests_per_sec,     q.burst_requests,    q.read_bytes_per_sec, q.write_bytes_per_sec,
          q.burst_read_bytes,     q.burst_write_bytes, q.max_concurrent,     q.storage_bytes,
          q.storage_soft_pct,     q.storage_grace_pct, q.storage_grace_seconds, q.max_value_bytes,
          q.weight,               q.reserved_ops_per_sec, q.max_queue_ms};
}

// A quota inside every absolute bound.
Quota ValidQuota() {
  Quota q;
  q.requests_per_sec = 100;
  q.burst_requests = 200;
  q.read_bytes_per_sec = 1 << 20;
  q.write_bytes_per_sec = 1 << 20;
  q.burst_read_bytes = 2 << 20;
  q.burst_write_bytes = 2 << 20;
  q.max_concurrent = 10;
  q.storage_bytes = 1 << 30;
  q.storage_soft_pct = 90;
  q.max_value_bytes = 1 << 20;
  q.weight = 1;
  q.reserved_ops_per_sec = 0;
  q.max_queue_ms = 1000;
  return q;
}

Plan PlanNamed(const std::string& name) {
  for (auto& p : BuiltInPlans()) {
    if (p.name == name) return p;
  }
  ADD_FAILURE() << "no built-in plan " << name;
  return Plan{};
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(Quota, FieldsAreApiMdsFifteenInOrder) {
  const auto& fields = QuotaFields();
  const auto& expected = ExpectedFields();
  ASSERT_EQ(fields.size(), 15u);
  ASSERT_EQ(fields.size(), expected.size());
  for (size_t i = 0; i < fields.size(); ++i) {
    SCOPED_TRACE(expected[i].name);
    EXPECT_STREQ(fields[i].name, expected[i].name);
    EXPECT_EQ(fields[i].min, expected[i].min);
    EXPECT_EQ(fields[i].max, expected[i].max);
  }
}

// docs/tenancy.schema.json (the tenancy files of tenantkv-admin apply) lists
// every quota field with its bounds: a new field goes there too.
TEST(Quota, TenancySchemaListsEveryFieldWithItsBounds) {
  std::ifstream in(std::string(TENANTKV_SOURCE_DIR) + "/docs/tenancy.schema.json");
  const nlohmann::json schema = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(schema.is_object());
  const nlohmann::json& properties = schema["$defs"]["quota"]["properties"];
  EXPECT_EQ(properties.size(), QuotaFields().size());
  for (const auto& f : QuotaFields()) {
    SCOPED_TRACE(f.name);
    ASSERT_TRUE(properties.contains(f.name));
    EXPECT_EQ(properties[f.name]["type"], "integer");
    EXPECT_EQ(properties[f.name]["minimum"], f.min);
    EXPECT_EQ(properties[f.name]["maximum"], f.max);
  }
}

TEST(Quota, FieldMembersPointAtTheirOwnField) {
  Quota q;
  const auto& fields = QuotaFields();
  for (size_t i = 0; i < fields.size(); ++i) q.*fields[i].member = static_cast<int64_t>(i) + 1000;
  const std::vector<int64_t> values = Values(q);
  for (size_t i = 0; i < values.size(); ++i) {
    SCOPED_TRACE(fields[i].name);
    EXPECT_EQ(values[i], static_cast<int64_t>(i) + 1000);
  }
}

TEST(Quota, FindQuotaField) {
  for (const auto& spec : ExpectedFields()) {
    SCOPED_TRACE(spec.name);
    const QuotaField* f = FindQuotaField(spec.name);
    ASSERT_NE(f, nullptr);
    EXPECT_STREQ(f->name, spec.name);
  }
  EXPECT_EQ(FindQuotaField("storage_bytes")->member, &Quota::storage_bytes);
  EXPECT_EQ(FindQuotaField("max_queue_ms")->member, &Quota::max_queue_ms);
  for (const char* bad : {"", "nope", "Storage_bytes", "storage_bytes ", "storage"}) {
    SCOPED_TRACE(std::string("'") + bad + "'");
    EXPECT_EQ(FindQuotaField(bad), nullptr);
  }
}

TEST(Quota, ValidateQuotaAcceptsBoundsAndRejectsEachFieldOutside) {
  ASSERT_TRUE(ValidateQuota(ValidQuota()).ok());
  for (const auto& spec : ExpectedFields()) {
    const QuotaField* f = FindQuotaField(spec.name);
    ASSERT_NE(f, nullptr) << spec.name;
    struct Case {
      int64_t value;
      bool ok;
    };
    for (const Case& c : {Case{spec.min, true}, Case{spec.max, true}, Case{spec.min - 1, false},
                          Case{spec.max + 1, false}}) {
      SCOPED_TRACE(std::string(spec.name) + " = " + std::to_string(c.value));
      Quota q = ValidQuota();
      q.*f->member = c.value;
      Status s = ValidateQuota(q);
      if (c.ok) {
        EXPECT_TRUE(s.ok()) << s.ToString();
      } else {
        EXPECT_EQ(s.code(), Code::kInvalidArgument) << s.ToString();
        EXPECT_EQ(s.reason(), "invalid_quota");
        EXPECT_TRUE(Contains(s.message(), spec.name)) << s.message();
      }
    }
  }
}

TEST(Quota, ValidateQuotaRejectsTheDefaultConstructedQuota) {
  // Zero rates are not a valid quota: a manifest always holds real limits.
  Status s = ValidateQuota(Quota());
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(s.reason(), "invalid_quota");
}

TEST(Quota, BuiltInPlansValidate) {
  const auto plans = BuiltInPlans();
  ASSERT_EQ(plans.size(), 3u);
  const std::vector<std::string> names = {"free", "standard", "premium"};
  for (size_t i = 0; i < plans.size(); ++i) {
    SCOPED_TRACE(names[i]);
    EXPECT_EQ(plans[i].name, names[i]);
    Status s = ValidatePlan(plans[i]);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_TRUE(ValidateQuota(plans[i].defaults).ok());
  }
}

TEST(Quota, BuiltInPlansAreOrdered) {
  const Plan free = PlanNamed("free"), standard = PlanNamed("standard"), premium = PlanNamed("premium");
  for (const char* name : {"requests_per_sec", "burst_requests", "read_bytes_per_sec", "write_bytes_per_sec",
                           "burst_read_bytes", "burst_write_bytes", "max_concurrent", "storage_bytes",
                           "max_value_bytes", "weight", "reserved_ops_per_sec"}) {
    SCOPED_TRACE(name);
    const QuotaField* f = FindQuotaField(name);
    ASSERT_NE(f, nullptr);
    EXPECT_LE(free.defaults.*f->member, standard.defaults.*f->member);
    EXPECT_LE(standard.defaults.*f->member, premium.defaults.*f->member);
    EXPECT_LE(free.max.*f->member, standard.max.*f->member);
    EXPECT_LE(standard.max.*f->member, premium.max.*f->member);
  }
  // The headline rate grows strictly from plan to plan.
  EXPECT_LT(free.defaults.requests_per_sec, standard.defaults.requests_per_sec);
  EXPECT_LT(standard.defaults.requests_per_sec, premium.defaults.requests_per_sec);
}

TEST(Quota, ValidatePlanNeedsMinDefaultMax) {
  struct Case {
    std::string name;
    void (*mutate)(Plan&);
    std::string reason;  // "" = valid
  };
  const std::vector<Case> cases = {
      {"unchanged", [](Plan&) {}, ""},
      {"default above max", [](Plan& p) { p.defaults.requests_per_sec = p.max.requests_per_sec + 1; },
       "invalid_plan"},
      {"default below min", [](Plan& p) { p.defaults.max_concurrent = p.min.max_concurrent - 1; },
       "invalid_quota"},  // 0 is also below the absolute bound
      {"min above default", [](Plan& p) { p.min.weight = p.defaults.weight + 1; }, "invalid_plan"},
      {"max outside absolute bounds", [](Plan& p) { p.max.storage_soft_pct = 101; }, "invalid_quota"},
      {"min outside absolute bounds", [](Plan& p) { p.min.max_queue_ms = 0; }, "invalid_quota"},
      {"min == default == max", [](Plan& p) { p.min.weight = p.max.weight = p.defaults.weight; }, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Plan p = PlanNamed("standard");
    c.mutate(p);
    Status s = ValidatePlan(p);
    if (c.reason.empty()) {
      EXPECT_TRUE(s.ok()) << s.ToString();
    } else {
      EXPECT_EQ(s.code(), Code::kInvalidArgument) << s.ToString();
      EXPECT_EQ(s.reason(), c.reason) << s.ToString();
    }
  }
}

TEST(Quota, CheckPlanRange) {
  const Plan plan = PlanNamed("standard");
  const Quota current = plan.defaults;
  struct Case {
    std::string name;
    const char* field;
    int64_t value;
    bool ok;
  };
  const std::vector<Case> cases = {
      {"at the plan max", "requests_per_sec", plan.max.requests_per_sec, true},
      {"inside the range", "requests_per_sec", plan.max.requests_per_sec / 2, true},
      {"at the plan min", "requests_per_sec", plan.min.requests_per_sec, true},
      {"above the plan max", "requests_per_sec", plan.max.requests_per_sec + 1, false},
      {"below the plan min", "max_queue_ms", plan.min.max_queue_ms - 1, false},
      {"storage above the plan", "storage_bytes", plan.max.storage_bytes + 1, false},
      {"lower storage", "storage_bytes", 100, true},
      {"soft pct up to 100", "storage_soft_pct", 100, true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const QuotaField* f = FindQuotaField(c.field);
    ASSERT_NE(f, nullptr);
    Quota next = current;
    next.*f->member = c.value;
    Status s = CheckPlanRange(plan, current, next);
    if (c.ok) {
      EXPECT_TRUE(s.ok()) << s.ToString();
    } else {
      EXPECT_EQ(s.code(), Code::kPermissionDenied) << s.ToString();
      EXPECT_EQ(s.reason(), "outside_plan_range");
      EXPECT_TRUE(Contains(s.message(), c.field)) << s.message();
    }
  }
}

TEST(Quota, CheckPlanRangeDoesNotJudgeUnchangedFields) {
  const Plan plan = PlanNamed("free");
  Quota current = plan.defaults;
  current.requests_per_sec = plan.max.requests_per_sec * 10;  // set earlier by an operator
  current.storage_bytes = plan.max.storage_bytes * 10;

  Quota next = current;
  next.max_concurrent = plan.max.max_concurrent - 1;  // a change inside the range
  EXPECT_TRUE(CheckPlanRange(plan, current, next).ok());
  EXPECT_TRUE(CheckPlanRange(plan, current, current).ok());

  // Moving an out-of-range field is judged, even towards the range.
  next.requests_per_sec = plan.max.requests_per_sec * 5;
  Status s = CheckPlanRange(plan, current, next);
  EXPECT_EQ(s.code(), Code::kPermissionDenied);
  EXPECT_EQ(s.reason(), "outside_plan_range");
  EXPECT_TRUE(Contains(s.message(), "requests_per_sec")) << s.message();
  // Back inside the range is fine.
  next.requests_per_sec = plan.max.requests_per_sec;
  EXPECT_TRUE(CheckPlanRange(plan, current, next).ok());
}

TEST(Quota, DiffQuotaListsExactlyTheChangedFields) {
  using Diff = std::map<std::string, std::pair<int64_t, int64_t>>;
  const Quota a = ValidQuota();
  EXPECT_EQ(DiffQuota(a, a), Diff());

  Quota b = a;
  b.requests_per_sec = 7;
  b.storage_bytes = 100;
  b.max_queue_ms = 5;
  EXPECT_EQ(DiffQuota(a, b), (Diff{{"requests_per_sec", {a.requests_per_sec, 7}},
                                   {"storage_bytes", {a.storage_bytes, 100}},
                                   {"max_queue_ms", {a.max_queue_ms, 5}}}));
  EXPECT_EQ(DiffQuota(b, a), (Diff{{"requests_per_sec", {7, a.requests_per_sec}},
                                   {"storage_bytes", {100, a.storage_bytes}},
                                   {"max_queue_ms", {5, a.max_queue_ms}}}));

  // Every field is compared.
  const Diff from_zero = DiffQuota(Quota(), a);
  for (const auto& spec : ExpectedFields()) {
    SCOPED_TRACE(spec.name);
    const QuotaField* f = FindQuotaField(spec.name);
    ASSERT_NE(f, nullptr);
    const bool differs = Quota().*f->member != a.*f->member;
    ASSERT_EQ(from_zero.count(spec.name), differs ? 1u : 0u);
    if (differs) {
      EXPECT_EQ(from_zero.at(spec.name), std::make_pair(Quota().*f->member, a.*f->member));
    }
  }
}

}  // namespace
}  // namespace tenantkv::engine
