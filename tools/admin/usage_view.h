// Human view of GET /v1/usage.
#pragma once

#include <string>

#include "tools/admin/http_transport.h"

namespace tenantkv::tools {

// {"tenant":..,"usage":{"keys","logical_bytes"},"quotas":{"<field>":{"limit",
// "used","remaining",...}}}: the top-level scalars, then a "usage"
// FIELD/VALUE section, then a "quotas" section with one line per quota
// (QUOTA, LIMIT, USED, REMAINING, then any other scalar member such as RATE
// or SOFT_LIMIT), then for storage_bytes one line for its burn rate and one
// for its projected exhaustion. Missing parts are skipped.
std::string RenderUsage(const Json& body);

}  // namespace tenantkv::tools
