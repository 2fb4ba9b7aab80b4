#include "engine/tenants/tenant_id.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tenantkv::engine {
namespace {

TEST(TenantId, ValidatesAgainstTheRule) {
  struct Case {
    std::string id;
    bool valid;
  };
  const std::vector<Case> cases = {
      {"a", true},
      {"0", true},
      {"acme", true},
      {"acme-corp", true},
      {"a-", true},
      {"a--b", true},
      {"9lives", true},
      {std::string(63, 'a'), true},
      {"a" + std::string(62, '-'), true},
      {"", false},
      {std::string(64, 'a'), false},
      {std::string(1000, 'a'), false},
      {"Acme", false},
      {"acmE", false},
      {"-acme", false},
      {"-", false},
      {"acme_corp", false},
      {"acme.corp", false},
      {"acme/corp", false},
      {"acme corp", false},
      {" acme", false},
      {"acme\n", false},
      {std::string("ac\0me", 5), false},
      {"caf\xc3\xa9", false},   // é in UTF-8
      {"\xe2\x80\x93" "a", false},  // en dash
      {"a\xff", false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE("id='" + c.id + "' (" + std::to_string(c.id.size()) + " bytes)");
    EXPECT_EQ(IsValidTenantId(c.id), c.valid);
    Status s = ValidateTenantId(c.id);
    EXPECT_EQ(s.ok(), c.valid);
    if (!c.valid) {
      EXPECT_EQ(s.code(), Code::kInvalidArgument);
      EXPECT_EQ(s.reason(), "invalid_tenant_id");
    }
  }
}

}  // namespace
}  // namespace tenantkv::engine
