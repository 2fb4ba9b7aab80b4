// Human views of tenant API key answers of the admin API.
#pragma once

#include <string>

#include "tools/admin/http_transport.h"

namespace tenantkv::tools {

// The one answer that carries a token ({"key_id","token","name","role",
// "tenant","created_at","expires_at"}): a FIELD/VALUE table, then a note
// that the token is not shown again.
std::string RenderApiKeyCreated(const Json& key);

// {"keys":[{"key_id","name","role","created_at","expires_at","state"}...]}:
// one line per key; a name is shown on one line without control characters
// ("-" when there is none).
std::string RenderApiKeyList(const Json& body);

}  // namespace tenantkv::tools
