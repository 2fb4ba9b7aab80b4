// FIELD=VALUE arguments, as `quota set` and `plans set` take them, turned
// into the flat JSON object of integer quota fields the server expects.
#pragma once

#include <string>
#include <vector>

#include "crypto/status.h"
#include "tools/admin/http_transport.h"

namespace tenantkv::tools {

// {"FIELD": VALUE, ...} in the order given. FIELD is a quota field name
// ([a-z0-9_]+; whether the server knows it is the server's to say) and VALUE
// a decimal int64 with an optional '-' (no '+', spaces, fractions, exponents
// or units). A UsageError naming the bad argument for anything else, for a
// field given twice, and for an empty list.
Result<Json> ParseFieldAssignments(const std::vector<std::string>& assignments);

}  // namespace tenantkv::tools
