// Human view of GET /v1/usage.
#pragma once

#include <string>

#include "tools/http_transport.h"

namespace tenantkv::tools {

// {"tenant":..,"usage":{..},"quotas":{"<field>":{"limit","used","remaining",
// ...}}}: the top-level scalars, then a "usage" FIELD/VALUE section, then a
// "quotas" section with one line per quota (QUOTA, LIMIT, USED, REMAINING and
// any other member such as BURN_RATE_PER_HOUR). Missing parts are skipped.
std::string RenderUsage(const Json& body);

}  // namespace tenantkv::tools
