// Human views of data-key answers of the admin API.
#pragma once

#include <string>

#include "tools/admin/http_transport.h"

namespace tenantkv::tools {

// {"tenant","versions":[{"version","state","created_at","seals","values",...}],
// "reencrypting"}: a line per version (VERSION, STATE, CREATED_AT, SEALS,
// VALUES and any other scalar member), then "re-encryption: running" or
// "re-encryption: idle" when the server said.
std::string RenderKeyStatus(const Json& body);

// The answer of `keys rotate --all`: a line per tenant rotated, then a line
// per failure.
std::string RenderRotateAll(const Json& body);

// POST /admin/v1/keys/rotate-due's answer: one line per due tenant and a
// summary line.
std::string RenderRotateDue(const Json& body);

// GET /admin/v1/keys/rotation's answer: the policy and the last sweep.
std::string RenderRotationPolicy(const Json& body);

// GET /admin/v1/keys/schedule's answer: a line per tenant (TENANT, VERSION,
// CREATED_AT, SEALS, DUE_AT, DUE), then where the next page starts.
std::string RenderKeySchedule(const Json& body);

}  // namespace tenantkv::tools
