// Tenant identifiers: ^[a-z0-9][a-z0-9-]{0,62}$.
#pragma once

#include <string_view>

#include "crypto/status.h"

namespace tenantkv::engine {

bool IsValidTenantId(std::string_view id);
// InvalidArgument("invalid_tenant_id") naming the rule when `id` is invalid.
Status ValidateTenantId(std::string_view id);

}  // namespace tenantkv::engine
