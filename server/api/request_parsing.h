// Pure parsers of request bodies and query strings: the part of each route
// that turns untrusted bytes into typed requests. No engine, no I/O, no
// HTTP types, so unit tests and fuzz targets (tests/fuzz/) call them directly.
// Every refusal is InvalidArgument with the stable `code` the route answers.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/status.h"
#include "engine/apikeys/api_keys.h"
#include "engine/tenants/tenant.h"
#include "engine/tenants/tenant_placement.h"
#include "engine/kv/kv_types.h"
#include "engine/quota/addon_store.h"
#include "engine/quota/quota.h"
#include "engine/quota/quota_requests.h"
#include "engine/quota/usage_history.h"

namespace tenantkv::server {

// Deepest nesting of objects and arrays a JSON body may have (the body's
// own object is level 1).
inline constexpr size_t kMaxJsonDepth = 64;
// Largest body of an admin route (bytes); the data routes have the
// server's body limit.
inline constexpr size_t kMaxAdminBodyBytes = 64 << 10;

// `body` as a JSON object. InvalidArgument("malformed_json") for bad JSON,
// another JSON type, or nesting deeper than kMaxJsonDepth: parsing stops at
// the first level too deep, so no deeper document is ever built.
Result<nlohmann::json> ParseJsonObjectText(std::string_view body);

// The body of an admin route: TooLarge("payload_too_large") over
// kMaxAdminBodyBytes, judged before any parsing; else ParseJsonObjectText.
Result<nlohmann::json> ParseAdminBodyText(std::string_view body);

// InvalidArgument("unknown_field") if `obj` has a member not in `allowed`.
Status CheckFields(const nlohmann::json& obj, std::initializer_list<const char*> allowed);

// POST /v1/batch: {"ops": [{"op": "put"|"delete"|"get", "key": ..., "value_b64": ...}]}.
// 1 to kMaxBatchOps ops; only put takes (and needs) canonical base64.
// InvalidArgument("invalid_batch" | "unknown_field"). Keys are not judged
// here: the store refuses empty or long keys per op.
Result<std::vector<engine::BatchOp>> ParseBatchBody(const nlohmann::json& body);

// The ops of a batch body in its plain form, read straight from the text
// without building a JSON document: one "ops" member holding 1 to
// kMaxBatchOps objects whose members are "op", "key" and (for put)
// "value_b64", every string printable ASCII without escapes, no member
// twice, canonical base64. nullopt for anything else, valid or not, which
// the caller then hands to the full parser: for every body this accepts,
// ParseBatchBody(ParseJsonObjectText(body)) accepts the same ops.
std::optional<std::vector<engine::BatchOp>> ParsePlainBatchText(std::string_view body);

// POST /v1/batch from its text: ParsePlainBatchText, else the JSON parser
// and ParseBatchBody (so refusals are theirs: "malformed_json",
// "invalid_batch", "unknown_field").
Result<std::vector<engine::BatchOp>> ParseBatchText(std::string_view body);

// GET /v1/kv query parameters: prefix, start_after (the list cursor),
// limit (1..kMaxListLimit), values (true/false/1/0). Unknown parameters are
// InvalidArgument("invalid_parameter"), a bad limit ("invalid_limit").
Result<engine::ListRequest> ParseListQuery(const std::map<std::string, std::string>& query);

// ?limit=&start_after= of a paged admin list (API keys, quota history):
// limit 1..kMaxListLimit, default 100 ("invalid_limit"); start_after is the
// `next` of the previous page, judged by the route. Any other parameter is
// InvalidArgument("invalid_parameter").
struct PageQuery {
  std::optional<std::string> start_after;
  size_t limit = 100;
};
Result<PageQuery> ParsePageQuery(const std::map<std::string, std::string>& query);

// ?window= of the usage history routes: "1h" (the default) or "24h".
// Anything else, or any other parameter, is InvalidArgument("invalid_parameter").
Result<engine::UsageWindow> ParseHistoryQuery(const std::map<std::string, std::string>& query);

// GET /admin/v1/tenants: the page (?limit=&start_after=, as ParsePageQuery;
// start_after is any tenant id, listed or not, and the page starts after it)
// and the filters ?plan= (exact name), ?tier= (InvalidArgument
// "unknown_tier"), ?state= (active, suspended or deleting; else
// "invalid_parameter") and ?prefix= (ids that start with it: 1..63
// characters a tenant id may have; else "invalid_parameter"). Any other
// parameter is "invalid_parameter".
struct TenantListQuery {
  PageQuery page;
  std::optional<std::string> prefix;
  std::optional<std::string> plan;
  std::optional<engine::Tier> tier;
  std::optional<engine::TenantState> state;
};
Result<TenantListQuery> ParseTenantListQuery(const std::map<std::string, std::string>& query);

// GET /admin/v1/cluster/tenants: the page and ?prefix= as
// ParseTenantListQuery judges them, and ?node= (a node id: a tenant id's
// syntax; else "invalid_parameter"). Any other parameter, plan, tier and
// state included, is "invalid_parameter".
struct ClusterTenantListQuery {
  PageQuery page;
  std::optional<std::string> prefix;
  std::optional<std::string> node;
};
Result<ClusterTenantListQuery> ParseClusterTenantListQuery(const std::map<std::string, std::string>& query);

// Overlays the members of a quota object (PUT .../quota, and each part of a
// plan) onto `q`. InvalidArgument("unknown_field") for a name that is not a
// quota field, ("invalid_quota") for a non-object or a value that is not a
// JSON integer within int64. Ranges are judged later (ValidateQuota).
Status ApplyQuotaFields(const nlohmann::json& obj, engine::Quota* q);

// POST /admin/v1/tenants/{id}/addons: {"fields": {quota field: integer,
// ...}, "starts_at"?: RFC 3339 (default now), "ends_at": RFC 3339,
// "reason"?: text}. InvalidArgument "unknown_field" / "invalid_quota" as
// ApplyQuotaFields, "invalid_period" for a missing or malformed time,
// "invalid_reason" for a reason ValidateFreeText refuses (1..1024 bytes).
// Values and times are judged by Engine::CreateAddon.
inline constexpr size_t kMaxReasonBytes = 1024;
Result<engine::Addon> ParseAddonCreateBody(const nlohmann::json& body);

// PUT /admin/v1/plans/{name}: {"defaults"?, "min"?, "max"?}, each a quota
// object overlaid onto `plan`.
Status ApplyPlanBody(const nlohmann::json& body, engine::Plan* plan);

// POST .../quota/revert: {"version": N}, N an integer >= 1 within int64
// (versions count from 1). InvalidArgument("invalid_version").
Result<int64_t> ParseRevertBody(const nlohmann::json& body);

struct TenantCreateRequest {
  std::string id;
  std::string plan;  // empty = the default plan
  std::optional<engine::Tier> tier;  // none = the plan's default tier
  std::optional<std::string> node;   // the node to create it on; none = placed by policy
};
// POST /admin/v1/tenants: {"id": "...", "plan"?: "...", "tier"?: "pooled" |
// "column_family" | "dedicated", "node"?: "<node id>"}. The id's rule is
// judged by the engine; a node id must have a tenant id's syntax.
// InvalidArgument("invalid_tenant_id" | "invalid_field" | "unknown_tier").
Result<TenantCreateRequest> ParseTenantCreateBody(const nlohmann::json& body);

// POST /admin/v1/tenants/{id}/tier: {"tier": "pooled" | "column_family"}.
// InvalidArgument("invalid_field" | "unknown_tier").
// POST /admin/v1/tenants/{id}/move: {"node": "<node id>"}.
Result<std::string> ParseNodeMoveBody(const nlohmann::json& body);
Result<engine::Tier> ParseTierMoveBody(const nlohmann::json& body);

struct ApiKeyCreateRequest {
  engine::Role role = engine::Role::kRead;
  engine::ApiKeyOptions options;  // name "" and expires_at_ms 0 when absent
};
// POST .../apikeys: {"role": "read"|"write"|"admin", "name"?: "...",
// "expires_at"?: "<RFC 3339>"}; null stands for an absent name or expiry.
// InvalidArgument("invalid_role"); ("invalid_name") for a name that is not
// a string engine::ValidateApiKeyName accepts; ("invalid_expires_at") for
// one that is not a string ParseRfc3339 reads, or before the Unix epoch.
// Whether the expiry is in the future is the engine's to judge (its clock).
Result<ApiKeyCreateRequest> ParseApiKeyCreateBody(const nlohmann::json& body);

// POST /v1/quota/requests: {"fields": {quota field: integer, ...},
// "reason": "...", "expires_at"?: "<RFC 3339>" | null}. InvalidArgument
// ("unknown_field") for another member or a name that is not a quota
// field; ("invalid_quota") unless `fields` is a non-empty object of
// integers within int64; ("invalid_reason") unless `reason` is a string
// (its length and characters are judged by the engine);
// ("invalid_expires_at") for an expiry that is not an RFC 3339 date-time
// after the epoch (the engine judges that it is in the future).
struct QuotaRequestBody {
  std::map<std::string, int64_t> fields;
  std::string reason;
  int64_t expires_at_ms = 0;  // 0 when absent
};
Result<QuotaRequestBody> ParseQuotaRequestBody(const nlohmann::json& body);

// POST /admin/v1/quota-requests/{rid}/approve|reject: {"comment"?: "..."}
// (the body itself is optional; the route passes {} for none).
// InvalidArgument("unknown_field") for another member; ("invalid_comment")
// unless the comment is a string of at most
// engine::kMaxQuotaRequestReasonBytes bytes without control characters.
Result<std::string> ParseQuotaDecisionBody(const nlohmann::json& body);

// GET /admin/v1/quota-requests: ?state= (pending, approved, rejected),
// ?tenant= (a tenant id) and the page (?limit=&start_after=, as
// ParsePageQuery). Anything else is InvalidArgument("invalid_parameter").
struct QuotaRequestListQuery {
  PageQuery page;
  engine::QuotaRequestFilter filter;
};
Result<QuotaRequestListQuery> ParseQuotaRequestListQuery(const std::map<std::string, std::string>& query);

}  // namespace tenantkv::server
