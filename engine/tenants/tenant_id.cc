#include "engine/tenants/tenant_id.h"

#include <string>

namespace tenantkv::engine {

bool IsValidTenantId(std::string_view id) {
  if (id.empty() || id.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(id[0])) return false;
  for (char c : id) {
    if (!alnum(c) && c != '-') return false;
  }
  return true;
}

Status ValidateTenantId(std::string_view id) {
  if (IsValidTenantId(id)) return Status::Ok();
  return Status::InvalidArgument(
      "tenant id must match ^[a-z0-9][a-z0-9-]{0,62}$ (1 to 63 lowercase letters, digits or '-', "
      "not starting with '-')",
      "invalid_tenant_id");
}

}  // namespace tenantkv::engine
