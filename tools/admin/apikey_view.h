// Human views of tenant API key answers of the admin API.
#pragma once

#include <string>

#include "tools/admin/http_transport.h"

namespace tenantkv::tools {

// The one answer that carries a token ({"key_id","token","role","tenant",
// "created_at"}): a FIELD/VALUE table, then a note that the token is not
// shown again.
std::string RenderApiKeyCreated(const Json& key);

// {"keys":[{"key_id","role","created_at","state"}...]}: one line per key.
std::string RenderApiKeyList(const Json& body);

}  // namespace tenantkv::tools
