#include "tools/admin/admin_routes.h"

#include "tools/admin/percent_encoding.h"

namespace tenantkv::tools {

std::string TenantsPath() { return "/admin/v1/tenants"; }

std::string TenantPath(const std::string& tenant) {
  return TenantsPath() + "/" + EncodePathSegment(tenant);
}

std::string ApiKeysPath(const std::string& tenant) { return TenantPath(tenant) + "/apikeys"; }

std::string ApiKeyPath(const std::string& tenant, const std::string& key_id) {
  return ApiKeysPath(tenant) + "/" + EncodePathSegment(key_id);
}

std::string QuotaPath(const std::string& tenant) { return TenantPath(tenant) + "/quota"; }

std::string KeysPath(const std::string& tenant) { return TenantPath(tenant) + "/keys"; }

std::string PlansPath() { return "/admin/v1/plans"; }

std::string PlanPath(const std::string& plan) {
  return PlansPath() + "/" + EncodePathSegment(plan);
}

std::string UsagePath() { return "/v1/usage"; }

std::string ReadyPath() { return "/readyz"; }

}  // namespace tenantkv::tools
