// JSON request bodies and responses (RFC 3339 timestamps: rfc3339.h).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "crypto/status.h"
#include "engine/kv/kv_types.h"
#include "engine/quota/addon_store.h"
#include "engine/quota/quota.h"
#include "server/api/rfc3339.h"
#include "server/http/http_message.h"

namespace tenantkv::server {

using nlohmann::json;

// Parses the body of an admin route as a JSON object whatever its
// Content-Type (curl's -d sends form encoding): ParseAdminBodyText
// (request_parsing.h), so at most 64 KiB and 64 levels deep.
Result<json> ParseJsonObject(const HttpRequest& req);

// Sets status and a compact JSON body (invalid UTF-8 replaced by U+FFFD).
void WriteJson(HttpResponse& res, int status, const json& body);

// {field: value} for every quota field, in api.md's order.
json QuotaToJson(const engine::Quota& q);

// An add-on as the API shows it (docs/api.md, Add-ons).
json AddonToJson(const engine::Addon& a);

// The body of a POST /v1/batch answer, {"results": [{"etag"?, "status",
// "value_b64"?}, ...]}, written straight into a string: byte for byte what
// WriteJson of the same document writes (members in name order, compact),
// without building the document first.
std::string BatchResultsJson(const std::vector<engine::BatchOpResult>& results);

// True if `s` is valid UTF-8 (so it can be a JSON string as it is).
bool IsValidUtf8(std::string_view s);

}  // namespace tenantkv::server
