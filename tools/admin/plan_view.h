// Human views of plan answers of the admin API.
#pragma once

#include <string>

#include "tools/admin/http_transport.h"

namespace tenantkv::tools {

// {"plans":[{"name","defaults":{..},"min":{..},"max":{..}}...]}: one line
// per plan with NAME and its default REQUESTS_PER_SEC, STORAGE_BYTES,
// MAX_VALUE_BYTES and WEIGHT, then any other scalar member.
std::string RenderPlanList(const Json& body);

// One plan: a FIELD/VALUE table of its scalars (name first), then a table
// with one line per quota field: FIELD, DEFAULT, MIN, MAX ("-" where a group
// lacks the field). Fields appear in the order defaults, min, max name them.
std::string RenderPlan(const Json& plan);

}  // namespace tenantkv::tools
