// Fuzz target: the admin JSON bodies as the routes read them. The body goes
// through ParseAdminBodyText (what every admin route calls: the 64 KiB cap,
// then the depth-limited parser), then through the parser of one route:
// POST /admin/v1/tenants, POST .../apikeys, PUT .../quota,
// POST .../quota/revert, PUT /admin/v1/plans/{name}, POST /v1/quota/requests
// or POST /admin/v1/quota-requests/{rid}/approve|reject.
//
// Properties (a violation traps): no crash, no exception, no undefined
// behaviour; a body over kMaxAdminBodyBytes is refused with TooLarge
// ("payload_too_large") and nothing else is; the depth-limited parser
// accepts exactly the JSON objects the JSON library accepts that nest at
// most kMaxJsonDepth levels, and builds the same document, while a deeper
// body is refused as "malformed_json" naming the limit; every route refusal
// is InvalidArgument with one of the route's documented codes.
//
// Input: byte 0 picks the route (value % 7) and, when bits 3..5 are all
// set, pads the body with spaces to one byte under or over the size cap
// (by the body's length parity); the rest is the body.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "engine/quota/quota.h"
#include "server/api/request_parsing.h"

namespace {

namespace engine = tenantkv::engine;
namespace server = tenantkv::server;
using nlohmann::json;
using tenantkv::Code;
using tenantkv::Status;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

void CheckRefusal(const Status& s, const std::set<std::string>& codes) {
  if (s.ok()) return;
  Check(s.code() == Code::kInvalidArgument);
  Check(codes.count(s.reason()) == 1);
}

// The deepest nesting of a JSON text, read through the library's SAX
// interface without building anything (as far as the text is valid).
class DepthMeter {
 public:
  size_t deepest() const { return deepest_; }
  bool null() { return true; }
  bool boolean(bool) { return true; }
  bool number_integer(json::number_integer_t) { return true; }
  bool number_unsigned(json::number_unsigned_t) { return true; }
  bool number_float(json::number_float_t, const std::string&) { return true; }
  bool string(std::string&) { return true; }
  bool binary(json::binary_t&) { return true; }
  bool start_object(std::size_t) { return Open(); }
  bool key(std::string&) { return true; }
  bool end_object() { return Close(); }
  bool start_array(std::size_t) { return Open(); }
  bool end_array() { return Close(); }
  bool parse_error(std::size_t, const std::string&, const json::exception&) { return false; }

 private:
  bool Open() {
    deepest_ = std::max(deepest_, ++depth_);
    return true;
  }
  bool Close() {
    --depth_;
    return true;
  }
  size_t depth_ = 0;
  size_t deepest_ = 0;
};

// ParseAdminBodyText against the JSON library. Returns the document when
// the body was accepted.
std::optional<json> CheckAdminBody(std::string_view text) {
  auto body = server::ParseAdminBodyText(text);
  if (text.size() > server::kMaxAdminBodyBytes) {
    Check(!body.ok() && body.status().code() == Code::kTooLarge && body.status().reason() == "payload_too_large");
    return std::nullopt;
  }
  DepthMeter meter;
  const bool valid = json::sax_parse(text, &meter, json::input_format_t::json, /*strict=*/true);
  if (!body.ok()) {
    CheckRefusal(body.status(), {"malformed_json"});
    if (valid && meter.deepest() > server::kMaxJsonDepth) {
      Check(body.status().message().find("deeper than the limit of 64") != std::string::npos);
    }
    // Refused although the library reads it: only for depth or type.
    Check(!valid || meter.deepest() > server::kMaxJsonDepth || !json::parse(text).is_object());
    return std::nullopt;
  }
  Check(valid && meter.deepest() <= server::kMaxJsonDepth);
  const json reference = json::parse(text);
  Check(body->is_object() && *body == reference);
  return std::move(*body);
}

void TenantBody(const json& body) {
  auto r = server::ParseTenantCreateBody(body);
  CheckRefusal(r.status(), {"unknown_field", "invalid_tenant_id", "invalid_field"});
  if (r.ok()) Check(r->id == body.at("id").get<std::string>());
}

void ApiKeyBody(const json& body) {
  auto r = server::ParseApiKeyCreateBody(body);
  CheckRefusal(r.status(), {"unknown_field", "invalid_role", "invalid_name", "invalid_expires_at"});
  if (!r.ok()) return;
  Check(engine::RoleName(r->role) == body.at("role").get<std::string>());
  Check(r->options.name.empty() || engine::ValidateApiKeyName(r->options.name).ok());
  Check(r->options.expires_at_ms >= 0);
}

void QuotaBody(const json& body) {
  engine::Quota q;
  Status s = server::ApplyQuotaFields(body, &q);
  CheckRefusal(s, {"unknown_field", "invalid_quota"});
  if (!s.ok()) return;
  Status v = engine::ValidateQuota(q);
  Check(v.ok() || v.code() == Code::kInvalidArgument);
}

void RevertBody(const json& body) {
  auto v = server::ParseRevertBody(body);
  CheckRefusal(v.status(), {"unknown_field", "invalid_version"});
}

void PlanBody(const json& body) {
  engine::Plan p = engine::BuiltInPlans().at(1);
  Status s = server::ApplyPlanBody(body, &p);
  CheckRefusal(s, {"unknown_field", "invalid_quota"});
  if (!s.ok()) return;
  Status v = engine::ValidatePlan(p);
  Check(v.ok() || v.code() == Code::kInvalidArgument);
}

void QuotaRequestBody(const json& body) {
  auto r = server::ParseQuotaRequestBody(body);
  CheckRefusal(r.status(), {"unknown_field", "invalid_quota", "invalid_reason", "invalid_expires_at"});
  if (!r.ok()) return;
  Check(!r->fields.empty() && r->expires_at_ms >= 0);
  for (const auto& [name, value] : r->fields) Check(engine::FindQuotaField(name) != nullptr);
}

void DecisionBody(const json& body) {
  auto r = server::ParseQuotaDecisionBody(body);
  CheckRefusal(r.status(), {"unknown_field", "invalid_comment"});
  if (r.ok()) Check(r->size() <= engine::kMaxQuotaRequestReasonBytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  if (((data[0] >> 3) & 7) == 7) {
    const size_t target = server::kMaxAdminBodyBytes + (text.size() % 2 == 0 ? 0 : 1);
    if (text.size() < target) text.append(target - text.size(), ' ');
  }
  std::optional<json> body = CheckAdminBody(text);
  if (!body) return 0;
  switch (data[0] % 7) {
    case 0: TenantBody(*body); break;
    case 1: ApiKeyBody(*body); break;
    case 2: QuotaBody(*body); break;
    case 3: RevertBody(*body); break;
    case 4: PlanBody(*body); break;
    case 5: QuotaRequestBody(*body); break;
    case 6: DecisionBody(*body); break;
  }
  return 0;
}
