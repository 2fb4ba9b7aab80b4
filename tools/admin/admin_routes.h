// The request paths of the admin API, with every caller-supplied segment
// percent-encoded. One function per route family keeps new commands small.
#pragma once

#include <string>

namespace tenantkv::tools {

// "/admin/v1/tenants"
std::string TenantsPath();

// "/admin/v1/tenants/{tenant}"
std::string TenantPath(const std::string& tenant);

// "/admin/v1/tenants/{tenant}/apikeys"
std::string ApiKeysPath(const std::string& tenant);

// "/admin/v1/tenants/{tenant}/apikeys/{key_id}"
std::string ApiKeyPath(const std::string& tenant, const std::string& key_id);

// "/admin/v1/tenants/{tenant}/quota"
std::string QuotaPath(const std::string& tenant);

// "/admin/v1/tenants/{tenant}/keys"
std::string KeysPath(const std::string& tenant);

// "/admin/v1/plans"
std::string PlansPath();

// "/admin/v1/plans/{plan}"
std::string PlanPath(const std::string& plan);

// "/v1/usage": the usage of the tenant whose token is sent.
std::string UsagePath();

// "/readyz"
std::string ReadyPath();

}  // namespace tenantkv::tools
