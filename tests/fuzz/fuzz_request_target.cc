// Fuzz target: what the server decodes from a request target before any
// handler runs: the route match with percent-decoded captures
// (server/api/router.h, server/http/url.h), user key validation
// (engine/kv/user_key.h), the query string and the list parameters with their
// cursor (start_after, server/api/request_parsing.h), and the base64 and UTF-8
// helpers that carry keys, cursors and values in JSON (server/http/base64.h,
// server/api/json_io.h).
//
// Properties (a violation traps): no crash or undefined behaviour; a
// decoded key or cursor re-encodes and decodes to the same bytes; base64 is
// accepted only in its canonical form; IsValidUtf8 agrees with the JSON
// library, so a key shown as a JSON string is never altered on the way out.
//
// Input: the request target, "path?query".
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/kv/kv_types.h"
#include "engine/kv/user_key.h"
#include "server/http/base64.h"
#include "server/api/json_io.h"
#include "server/api/request_parsing.h"
#include "server/api/router.h"
#include "server/http/url.h"

namespace {

namespace engine = tenantkv::engine;
namespace server = tenantkv::server;
using nlohmann::json;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

bool Decode(std::string_view raw, std::string* out) {
  auto d = server::PercentDecode(raw);
  if (!d) return false;
  *out = std::move(*d);
  return true;
}

const server::Router<int>& Routes() {
  static const server::Router<int>* r = [] {
    auto* router = new server::Router<int>();
    router->Add("GET", "/v1/kv/{*key}", 1);
    router->Add("GET", "/v1/kv", 2);
    router->Add("DELETE", "/admin/v1/tenants/{id}/apikeys/{key_id}", 3);
    router->Add("PUT", "/admin/v1/plans/{name}", 4);
    return router;
  }();
  return *r;
}

// A string that reaches a JSON response: IsValidUtf8 must agree with the
// JSON library's strict encoder, and base64 must carry the exact bytes.
void CheckJsonText(const std::string& s) {
  bool strict_ok = true;
  try {
    json(s).dump();
  } catch (const json::type_error&) {
    strict_ok = false;
  }
  Check(server::IsValidUtf8(s) == strict_ok);
  Check(server::Base64Decode(server::Base64Encode(s)) == s);
}

void CheckKey(const std::string& key) {
  auto valid = engine::ValidateUserKey(key);
  Check(valid.ok() == (!key.empty() && key.size() <= engine::kMaxKeyBytes));
  const std::string encoded = server::PercentEncode(key);
  Check(server::PercentDecode(encoded) == key);
  auto again = Routes().Find("GET", "/v1/kv/" + encoded, Decode);
  Check(again.outcome == server::Router<int>::Outcome::kMatched && again.params["key"] == key);
  CheckJsonText(key);
}

void CheckQuery(std::string_view raw) {
  auto query = server::ParseQuery(raw);
  if (!query) return;
  std::string encoded;
  for (const auto& [name, value] : *query) {
    encoded += (encoded.empty() ? "" : "&") + server::PercentEncode(name) + "=" + server::PercentEncode(value);
    // Values that claim to be base64 are accepted only when canonical.
    if (auto bytes = server::Base64Decode(value)) Check(server::Base64Encode(*bytes) == value);
  }
  Check(server::ParseQuery(encoded) == query);
  auto list = server::ParseListQuery(*query);
  if (!list.ok()) {
    Check(list.status().reason() == "invalid_limit" || list.status().reason() == "invalid_parameter");
    return;
  }
  Check(list->limit >= 1 && list->limit <= engine::kMaxListLimit);
  if (list->start_after) CheckJsonText(*list->start_after);
  CheckJsonText(list->prefix);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view target(reinterpret_cast<const char*>(data), size);
  const size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  auto match = Routes().Find("GET", path, Decode);
  if (match.outcome == server::Router<int>::Outcome::kMatched && *match.route == 1) {
    CheckKey(match.params["key"]);
    if (path.rfind("/v1/kv/", 0) == 0 && path.find('%') == std::string_view::npos) {
      Check(match.params["key"] == path.substr(7));
    }
  }
  if (q != std::string_view::npos) CheckQuery(target.substr(q + 1));
  return 0;
}
