// Human views of tenant answers of the admin API.
#pragma once

#include <string>

#include "tools/admin/http_transport.h"

namespace tenantkv::tools {

// One tenant object ({"id","plan","state","created_at","usage","quota",
// "key_versions",...}): a FIELD/VALUE table, then a "quota" FIELD/VALUE
// section when the tenant has a non-empty quota object, then a table per
// array of objects (key_versions). Unknown members are shown too.
std::string RenderTenant(const Json& tenant);

// {"tenants":[tenant...]}: one line per tenant with ID, PLAN, STATE,
// CREATED_AT, KEYS, LOGICAL_BYTES and any other scalar member; when the
// page is not the last ("next"), a line naming the --start-after of the
// next one.
std::string RenderTenantList(const Json& body);

}  // namespace tenantkv::tools
