// Fuzz target: the JSON request bodies (server/api/request_parsing.h) of
// POST /v1/batch, PUT .../quota, PUT /admin/v1/plans/{name},
// POST .../quota/revert, POST /admin/v1/tenants and POST .../apikeys,
// followed by the pure engine checks each route applies next.
//
// Properties (a violation traps): no crash, no exception, no undefined
// behaviour on any body; every refusal is InvalidArgument with one of the
// route's documented codes; what is accepted is exactly what was sent (a
// batch re-encodes to the same ops, and the plain-form batch reader
// agrees with the full parser; a quota field or version holds the
// number in the body).
//
// Input: byte 0 picks the body kind, the rest is the body.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "engine/quota/quota.h"
#include "engine/tenants/tenant_id.h"
#include "server/http/base64.h"
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

void CheckRefusal(const Status& s, std::set<std::string> codes) {
  if (s.ok()) return;
  Check(s.code() == Code::kInvalidArgument);
  Check(codes.count(s.reason()) == 1);
}

// The body's integer equals the int64 the parser kept.
bool SameInteger(const json& v, int64_t kept) {
  if (v.is_number_unsigned()) return v.get<uint64_t>() == static_cast<uint64_t>(kept) && kept >= 0;
  return v.get<int64_t>() == kept;
}

void Batch(const json& body) {
  auto ops = server::ParseBatchBody(body);
  CheckRefusal(ops.status(), {"invalid_batch", "unknown_field"});
  if (!ops.ok()) return;
  Check(!ops->empty() && ops->size() <= engine::kMaxBatchOps);
  const json& in = body.at("ops");
  Check(in.size() == ops->size());
  json again = {{"ops", json::array()}};
  for (size_t i = 0; i < ops->size(); ++i) {
    const engine::BatchOp& op = (*ops)[i];
    Check(in[i].at("key").get<std::string>() == op.key);
    if (op.type == engine::BatchOpType::kPut) {
      // Canonical base64 only: the value re-encodes to the text sent.
      Check(server::Base64Encode(op.value) == in[i].at("value_b64").get<std::string>());
      again["ops"].push_back({{"op", "put"}, {"key", op.key}, {"value_b64", server::Base64Encode(op.value)}});
    } else {
      Check(op.value.empty());
      again["ops"].push_back({{"op", op.type == engine::BatchOpType::kGet ? "get" : "delete"}, {"key", op.key}});
    }
  }
  auto reparsed = server::ParseBatchBody(again);
  Check(reparsed.ok() && reparsed->size() == ops->size());
  for (size_t i = 0; i < ops->size(); ++i) {
    Check((*reparsed)[i].type == (*ops)[i].type && (*reparsed)[i].key == (*ops)[i].key &&
          (*reparsed)[i].value == (*ops)[i].value);
  }
}

// The plain-form batch reader (no JSON document) never accepts what the
// full parser would refuse or read differently.
void PlainBatch(std::string_view text) {
  auto plain = server::ParsePlainBatchText(text);
  if (!plain) return;
  auto body = server::ParseJsonObjectText(text);
  Check(body.ok());
  auto full = server::ParseBatchBody(*body);
  Check(full.ok() && full->size() == plain->size());
  for (size_t i = 0; i < plain->size(); ++i) {
    Check((*full)[i].type == (*plain)[i].type && (*full)[i].key == (*plain)[i].key &&
          (*full)[i].value == (*plain)[i].value);
  }
}

void QuotaBody(const json& body) {
  engine::Quota q;
  Status s = server::ApplyQuotaFields(body, &q);
  CheckRefusal(s, {"unknown_field", "invalid_quota"});
  if (!s.ok()) return;
  for (auto it = body.begin(); it != body.end(); ++it) {
    const engine::QuotaField* f = engine::FindQuotaField(it.key());
    Check(f != nullptr && SameInteger(*it, q.*f->member));
  }
  Status v = engine::ValidateQuota(q);
  Check(v.ok() || v.code() == Code::kInvalidArgument);
  const engine::Plan standard = engine::BuiltInPlans().at(1);
  Status range = engine::CheckPlanRange(standard, standard.defaults, q);
  Check(range.ok() || range.code() == Code::kPermissionDenied);
  engine::DiffQuota(standard.defaults, q);
}

void PlanBody(const json& body) {
  engine::Plan p = engine::BuiltInPlans().at(1);
  Status s = server::ApplyPlanBody(body, &p);
  CheckRefusal(s, {"unknown_field", "invalid_quota"});
  if (!s.ok()) return;
  Status v = engine::ValidatePlan(p);
  Check(v.ok() || v.code() == Code::kInvalidArgument);
}

void RevertBody(const json& body) {
  auto v = server::ParseRevertBody(body);
  CheckRefusal(v.status(), {"unknown_field", "invalid_version"});
  if (v.ok()) Check(SameInteger(body.at("version"), *v));
}

void TenantBody(const json& body) {
  auto r = server::ParseTenantCreateBody(body);
  CheckRefusal(r.status(), {"unknown_field", "invalid_tenant_id", "invalid_field"});
  if (!r.ok()) return;
  Check(r->id == body.at("id").get<std::string>());
  Status id = engine::ValidateTenantId(r->id);
  Check(id.ok() == engine::IsValidTenantId(r->id));
  Check(id.ok() || id.code() == Code::kInvalidArgument);
}

void ApiKeyBody(const json& body) {
  auto r = server::ParseApiKeyCreateBody(body);
  CheckRefusal(r.status(), {"unknown_field", "invalid_role", "invalid_name", "invalid_expires_at"});
  if (!r.ok()) return;
  Check(engine::RoleName(r->role) == body.at("role").get<std::string>());
  Check(r->options.name.empty() || engine::ValidateApiKeyName(r->options.name).ok());
  Check(r->options.expires_at_ms >= 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] % 6 == 0) PlainBatch(text);
  auto body = server::ParseJsonObjectText(text);
  CheckRefusal(body.status(), {"malformed_json"});
  if (!body.ok()) return 0;
  Check(body->is_object());
  switch (data[0] % 6) {
    case 0: Batch(*body); break;
    case 1: QuotaBody(*body); break;
    case 2: PlanBody(*body); break;
    case 3: RevertBody(*body); break;
    case 4: TenantBody(*body); break;
    case 5: ApiKeyBody(*body); break;
  }
  return 0;
}
