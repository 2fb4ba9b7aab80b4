#include "server/api/request_parsing.h"

#include <charconv>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/tenants/tenant_id.h"
#include "server/api/rfc3339.h"
#include "server/http/base64.h"

namespace tenantkv::server {
namespace {

using engine::BatchOp;
using engine::BatchOpType;
using nlohmann::json;

// limit= of a list: 1..kMaxListLimit.
Result<size_t> ParseLimit(const std::string& value) {
  size_t limit = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), limit);
  if (ec != std::errc() || end != value.data() + value.size() || limit < 1 || limit > engine::kMaxListLimit) {
    return Status::InvalidArgument("limit must be an integer from 1 to 1000", "invalid_limit");
  }
  return limit;
}

Result<bool> ParseBool(const std::string& v, const char* name) {
  if (v == "true" || v == "1") return true;
  if (v == "false" || v == "0") return false;
  return Status::InvalidArgument(std::string(name) + " must be true or false", "invalid_parameter");
}

// A JSON integer that fits int64_t. The JSON library keeps integers above
// INT64_MAX as unsigned, and reading one as int64_t would wrap it negative.
std::optional<int64_t> AsInt64(const json& v) {
  if (!v.is_number_integer()) return std::nullopt;
  if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
  return v.get<int64_t>();
}

Result<BatchOp> ParseBatchOp(const json& o, size_t i) {
  auto bad = [i](const std::string& why) {
    return Status::InvalidArgument("op " + std::to_string(i) + ": " + why, "invalid_batch");
  };
  if (!o.is_object()) return bad("must be an object");
  Status fields = CheckFields(o, {"op", "key", "value_b64"});
  if (!fields.ok()) return bad(fields.message());
  auto op = o.find("op");
  auto key = o.find("key");
  if (op == o.end() || !op->is_string()) return bad("'op' must be \"put\", \"delete\" or \"get\"");
  if (key == o.end() || !key->is_string()) return bad("'key' must be a string");
  BatchOp b;
  b.key = key->get<std::string>();
  const std::string& kind = op->get_ref<const std::string&>();
  auto value = o.find("value_b64");
  if (kind == "put") {
    b.type = BatchOpType::kPut;
    if (value == o.end() || !value->is_string()) return bad("put needs 'value_b64' (a base64 string)");
    auto decoded = Base64Decode(value->get_ref<const std::string&>());
    if (!decoded) return bad("'value_b64' is not valid base64");
    b.value = std::move(*decoded);
  } else if (kind == "delete" || kind == "get") {
    b.type = kind == "get" ? BatchOpType::kGet : BatchOpType::kDelete;
    if (value != o.end()) return bad("only put takes 'value_b64'");
  } else {
    return bad("'op' must be \"put\", \"delete\" or \"get\"");
  }
  return b;
}

// Builds the document of a JSON text through the library's SAX interface,
// refusing (which ends the parse) the first object or array that would
// nest deeper than kMaxJsonDepth. The library's own parser builds as it
// goes, so an 8 MiB "[[[[..." would be ~8 million arrays before the error.
class DepthLimitedBuilder {
 public:
  explicit DepthLimitedBuilder(json* root) : root_(root) {}

  bool too_deep() const { return too_deep_; }

  bool null() { return Add(nullptr) != nullptr; }
  bool boolean(bool v) { return Add(v) != nullptr; }
  bool number_integer(json::number_integer_t v) { return Add(v) != nullptr; }
  bool number_unsigned(json::number_unsigned_t v) { return Add(v) != nullptr; }
  bool number_float(json::number_float_t v, const std::string&) { return Add(v) != nullptr; }
  bool string(std::string& v) { return Add(std::move(v)) != nullptr; }
  bool binary(json::binary_t& v) { return Add(json::binary(std::move(v))) != nullptr; }
  bool start_object(std::size_t) { return Open(json::object()); }
  bool key(std::string& k) {
    key_ = std::move(k);
    return true;
  }
  bool end_object() { return Close(); }
  bool start_array(std::size_t) { return Open(json::array()); }
  bool end_array() { return Close(); }
  bool parse_error(std::size_t, const std::string&, const json::exception&) { return false; }

 private:
  // Places `v` in the open container (as the last key's value, or at the
  // end of an array), or as the root; the new value's address. A member
  // given twice keeps its last value, as the library's parser does.
  json* Add(json v) {
    if (open_.empty()) {
      *root_ = std::move(v);
      return root_;
    }
    json& parent = *open_.back();
    if (parent.is_array()) {
      parent.push_back(std::move(v));
      return &parent.back();
    }
    json& slot = parent[key_];
    slot = std::move(v);
    return &slot;
  }
  // Open containers are never moved: values are added only to the
  // innermost one, and an object's members stay where they are.
  bool Open(json container) {
    if (open_.size() == kMaxJsonDepth) {
      too_deep_ = true;
      return false;
    }
    open_.push_back(Add(std::move(container)));
    return true;
  }
  bool Close() {
    open_.pop_back();
    return true;
  }

  json* const root_;
  std::vector<json*> open_;  // the containers being filled, outermost first
  std::string key_;
  bool too_deep_ = false;
};

}  // namespace

Status CheckFields(const json& obj, std::initializer_list<const char*> allowed) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool known = false;
    for (const char* a : allowed) known = known || it.key() == a;
    if (!known) return Status::InvalidArgument("unknown field '" + it.key() + "'", "unknown_field");
  }
  return Status::Ok();
}

Result<json> ParseJsonObjectText(std::string_view body) {
  json j;
  DepthLimitedBuilder builder(&j);
  const bool parsed = json::sax_parse(body, &builder, json::input_format_t::json, /*strict=*/true);
  if (builder.too_deep()) {
    return Status::InvalidArgument("the body nests objects and arrays deeper than the limit of " +
                                       std::to_string(kMaxJsonDepth) + " levels",
                                   "malformed_json");
  }
  if (!parsed) return Status::InvalidArgument("the body is not valid JSON", "malformed_json");
  if (!j.is_object()) return Status::InvalidArgument("the body must be a JSON object", "malformed_json");
  return j;
}

Result<json> ParseAdminBodyText(std::string_view body) {
  if (body.size() > kMaxAdminBodyBytes) {
    return Status::TooLarge("an admin request body holds at most " + std::to_string(kMaxAdminBodyBytes) +
                                " bytes",
                            "payload_too_large");
  }
  return ParseJsonObjectText(body);
}

Result<std::vector<BatchOp>> ParseBatchBody(const json& body) {
  TKV_RETURN_IF_ERROR(CheckFields(body, {"ops"}));
  auto it = body.find("ops");
  if (it == body.end() || !it->is_array()) {
    return Status::InvalidArgument("'ops' must be an array", "invalid_batch");
  }
  if (it->empty() || it->size() > engine::kMaxBatchOps) {
    return Status::InvalidArgument("a batch holds 1 to 1000 ops", "invalid_batch");
  }
  std::vector<BatchOp> ops;
  ops.reserve(it->size());
  for (size_t i = 0; i < it->size(); ++i) {
    TKV_ASSIGN_OR_RETURN(BatchOp op, ParseBatchOp((*it)[i], i));
    ops.push_back(std::move(op));
  }
  return ops;
}

namespace {

// A cursor over a batch body that understands only the plain form (see
// ParsePlainBatchText); each reader answers false or nullopt where the
// text leaves that form.
class PlainJsonCursor {
 public:
  explicit PlainJsonCursor(std::string_view text) : s_(text) {}

  // Skips JSON whitespace, then takes `c` if it comes next.
  bool Take(char c) {
    SkipSpace();
    if (i_ == s_.size() || s_[i_] != c) return false;
    ++i_;
    return true;
  }
  // A string of printable ASCII with no escapes; its contents.
  std::optional<std::string_view> String() {
    SkipSpace();
    if (i_ == s_.size() || s_[i_] != '"') return std::nullopt;
    const size_t start = ++i_;
    for (; i_ < s_.size(); ++i_) {
      const auto c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') return s_.substr(start, i_++ - start);
      if (c == '\\' || c < 0x20 || c > 0x7e) return std::nullopt;
    }
    return std::nullopt;
  }
  bool AtEnd() {
    SkipSpace();
    return i_ == s_.size();
  }

 private:
  void SkipSpace() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t')) ++i_;
  }
  std::string_view s_;
  size_t i_ = 0;
};

std::optional<BatchOp> PlainBatchOp(PlainJsonCursor& in) {
  if (!in.Take('{')) return std::nullopt;
  std::optional<std::string_view> op, key, value;
  do {
    auto name = in.String();
    if (!name || !in.Take(':')) return std::nullopt;
    auto text = in.String();
    if (!text) return std::nullopt;
    std::optional<std::string_view>* slot = *name == "op" ? &op
                                            : *name == "key" ? &key
                                            : *name == "value_b64" ? &value
                                                                   : nullptr;
    if (slot == nullptr || slot->has_value()) return std::nullopt;  // unknown or twice
    *slot = text;
  } while (in.Take(','));
  if (!in.Take('}') || !op || !key) return std::nullopt;
  BatchOp b;
  b.key.assign(*key);
  if (*op == "put") {
    if (!value) return std::nullopt;
    auto decoded = Base64Decode(*value);
    if (!decoded) return std::nullopt;
    b.type = BatchOpType::kPut;
    b.value = std::move(*decoded);
  } else if (*op == "get" || *op == "delete") {
    if (value) return std::nullopt;
    b.type = *op == "get" ? BatchOpType::kGet : BatchOpType::kDelete;
  } else {
    return std::nullopt;
  }
  return b;
}

}  // namespace

std::optional<std::vector<BatchOp>> ParsePlainBatchText(std::string_view body) {
  PlainJsonCursor in(body);
  auto name = (in.Take('{') ? in.String() : std::nullopt);
  if (!name || *name != "ops" || !in.Take(':') || !in.Take('[')) return std::nullopt;
  std::vector<BatchOp> ops;
  do {
    auto op = PlainBatchOp(in);
    if (!op || ops.size() == engine::kMaxBatchOps) return std::nullopt;
    ops.push_back(std::move(*op));
  } while (in.Take(','));
  if (!in.Take(']') || !in.Take('}') || !in.AtEnd()) return std::nullopt;
  return ops;
}

Result<std::vector<BatchOp>> ParseBatchText(std::string_view body) {
  if (auto ops = ParsePlainBatchText(body)) return std::move(*ops);
  TKV_ASSIGN_OR_RETURN(json parsed, ParseJsonObjectText(body));
  return ParseBatchBody(parsed);
}

Result<engine::ListRequest> ParseListQuery(const std::map<std::string, std::string>& query) {
  engine::ListRequest lr;
  for (const auto& [name, value] : query) {
    if (name == "prefix") {
      lr.prefix = value;
    } else if (name == "start_after") {
      lr.start_after = value;
    } else if (name == "limit") {
      TKV_ASSIGN_OR_RETURN(lr.limit, ParseLimit(value));
    } else if (name == "values") {
      TKV_ASSIGN_OR_RETURN(lr.with_values, ParseBool(value, "values"));
    } else {
      return Status::InvalidArgument("unknown query parameter '" + name + "'", "invalid_parameter");
    }
  }
  return lr;
}

Result<PageQuery> ParsePageQuery(const std::map<std::string, std::string>& query) {
  PageQuery page;
  for (const auto& [name, value] : query) {
    if (name == "start_after") {
      page.start_after = value;
    } else if (name == "limit") {
      TKV_ASSIGN_OR_RETURN(page.limit, ParseLimit(value));
    } else {
      return Status::InvalidArgument("unknown query parameter '" + name + "'", "invalid_parameter");
    }
  }
  return page;
}

Result<engine::UsageWindow> ParseHistoryQuery(const std::map<std::string, std::string>& query) {
  engine::UsageWindow window = engine::UsageWindow::kHour;
  for (const auto& [name, value] : query) {
    if (name != "window") {
      return Status::InvalidArgument("unknown query parameter '" + name + "'", "invalid_parameter");
    }
    if (value == "1h") {
      window = engine::UsageWindow::kHour;
    } else if (value == "24h") {
      window = engine::UsageWindow::kDay;
    } else {
      return Status::InvalidArgument("window must be 1h or 24h", "invalid_parameter");
    }
  }
  return window;
}

Result<TenantListQuery> ParseTenantListQuery(const std::map<std::string, std::string>& query) {
  TenantListQuery q;
  std::map<std::string, std::string> paging;
  for (const auto& [name, value] : query) {
    if (name == "plan") {
      q.plan = value;
    } else if (name == "prefix") {
      // Every prefix of a valid id is itself a valid id.
      if (!engine::IsValidTenantId(value)) {
        return Status::InvalidArgument("prefix must be the start of a tenant id (a-z, 0-9, '-', 1..63 characters)",
                                       "invalid_parameter");
      }
      q.prefix = value;
    } else if (name == "tier") {
      TKV_ASSIGN_OR_RETURN(q.tier, engine::ParseTier(value));
    } else if (name == "state") {
      if (value == "active") {
        q.state = engine::TenantState::kActive;
      } else if (value == "suspended") {
        q.state = engine::TenantState::kSuspended;
      } else if (value == "deleting") {
        q.state = engine::TenantState::kDeleting;
      } else {
        return Status::InvalidArgument("state must be active, suspended or deleting", "invalid_parameter");
      }
    } else {
      paging.emplace(name, value);
    }
  }
  TKV_ASSIGN_OR_RETURN(q.page, ParsePageQuery(paging));
  return q;
}

Result<ClusterTenantListQuery> ParseClusterTenantListQuery(const std::map<std::string, std::string>& query) {
  ClusterTenantListQuery q;
  std::map<std::string, std::string> rest;  // the page and the prefix
  for (const auto& [name, value] : query) {
    if (name == "node") {
      if (!engine::IsValidTenantId(value)) return Status::InvalidArgument("node must be a node id", "invalid_parameter");
      q.node = value;
    } else if (name == "plan" || name == "tier" || name == "state") {
      return Status::InvalidArgument("unknown query parameter '" + name + "'", "invalid_parameter");
    } else {
      rest.emplace(name, value);
    }
  }
  TKV_ASSIGN_OR_RETURN(TenantListQuery listed, ParseTenantListQuery(rest));
  q.page = std::move(listed.page);
  q.prefix = std::move(listed.prefix);
  return q;
}

Status ApplyQuotaFields(const json& obj, engine::Quota* q) {
  if (!obj.is_object()) return Status::InvalidArgument("quota must be a JSON object", "invalid_quota");
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    const engine::QuotaField* f = engine::FindQuotaField(it.key());
    if (f == nullptr) return Status::InvalidArgument("unknown quota field '" + it.key() + "'", "unknown_field");
    auto v = AsInt64(*it);
    if (!v) return Status::InvalidArgument(it.key() + " must be an integer", "invalid_quota");
    q->*f->member = *v;
  }
  return Status::Ok();
}

namespace {

// {"field": integer, ...} (an object) as a map; every name a quota field.
Result<std::map<std::string, int64_t>> QuotaFieldValues(const json& fields) {
  std::map<std::string, int64_t> out;
  for (auto it = fields.begin(); it != fields.end(); ++it) {
    if (engine::FindQuotaField(it.key()) == nullptr) {
      return Status::InvalidArgument("unknown quota field '" + it.key() + "'", "unknown_field");
    }
    auto v = AsInt64(*it);
    if (!v) return Status::InvalidArgument(it.key() + " must be an integer", "invalid_quota");
    out[it.key()] = *v;
  }
  return out;
}

}  // namespace

Result<engine::Addon> ParseAddonCreateBody(const json& body) {
  TKV_RETURN_IF_ERROR(CheckFields(body, {"fields", "starts_at", "ends_at", "reason"}));
  engine::Addon a;
  auto fields = body.find("fields");
  if (fields == body.end() || !fields->is_object()) {
    return Status::InvalidArgument("'fields' must be an object of quota fields and their values", "invalid_quota");
  }
  TKV_ASSIGN_OR_RETURN(a.fields, QuotaFieldValues(*fields));
  auto time = [&](const char* name, bool required, int64_t* out) -> Status {
    auto it = body.find(name);
    if (it == body.end() || it->is_null()) {
      if (!required) return Status::Ok();
      return Status::InvalidArgument(std::string("'") + name + "' is required", "invalid_period");
    }
    std::optional<int64_t> ms = it->is_string() ? ParseRfc3339(it->get_ref<const std::string&>()) : std::nullopt;
    if (!ms || *ms <= 0) {
      return Status::InvalidArgument(
          std::string("'") + name + "' must be an RFC 3339 date-time, such as 2030-01-31T12:00:00Z",
          "invalid_period");
    }
    *out = *ms;
    return Status::Ok();
  };
  TKV_RETURN_IF_ERROR(time("starts_at", false, &a.starts_at_ms));
  TKV_RETURN_IF_ERROR(time("ends_at", true, &a.ends_at_ms));
  if (auto reason = body.find("reason"); reason != body.end() && !reason->is_null()) {
    if (!reason->is_string()) return Status::InvalidArgument("'reason' must be a string", "invalid_reason");
    TKV_RETURN_IF_ERROR(engine::ValidateFreeText(reason->get_ref<const std::string&>(), kMaxReasonBytes, "reason",
                                                 "invalid_reason"));
    a.reason = reason->get<std::string>();
  }
  return a;
}

Status ApplyPlanBody(const json& body, engine::Plan* plan) {
  TKV_RETURN_IF_ERROR(CheckFields(body, {"defaults", "min", "max"}));
  if (auto it = body.find("defaults"); it != body.end()) TKV_RETURN_IF_ERROR(ApplyQuotaFields(*it, &plan->defaults));
  if (auto it = body.find("min"); it != body.end()) TKV_RETURN_IF_ERROR(ApplyQuotaFields(*it, &plan->min));
  if (auto it = body.find("max"); it != body.end()) TKV_RETURN_IF_ERROR(ApplyQuotaFields(*it, &plan->max));
  return Status::Ok();
}

Result<int64_t> ParseRevertBody(const json& body) {
  TKV_RETURN_IF_ERROR(CheckFields(body, {"version"}));
  auto it = body.find("version");
  auto version = it == body.end() ? std::nullopt : AsInt64(*it);
  if (!version || *version < 1) {
    return Status::InvalidArgument("'version' must be an integer >= 1 (versions count from 1)", "invalid_version");
  }
  return *version;
}

Result<TenantCreateRequest> ParseTenantCreateBody(const json& body) {
  TKV_RETURN_IF_ERROR(CheckFields(body, {"id", "plan", "tier", "node"}));
  auto id = body.find("id");
  if (id == body.end() || !id->is_string()) {
    return Status::InvalidArgument("'id' must be a string", "invalid_tenant_id");
  }
  TenantCreateRequest r;
  r.id = id->get<std::string>();
  if (auto plan = body.find("plan"); plan != body.end()) {
    if (!plan->is_string()) return Status::InvalidArgument("'plan' must be a string", "invalid_field");
    r.plan = plan->get<std::string>();
  }
  if (auto tier = body.find("tier"); tier != body.end()) {
    if (!tier->is_string()) return Status::InvalidArgument("'tier' must be a string", "invalid_field");
    TKV_ASSIGN_OR_RETURN(r.tier, engine::ParseTier(tier->get_ref<const std::string&>()));
  }
  if (auto node = body.find("node"); node != body.end()) {
    if (!node->is_string() || !engine::IsValidTenantId(node->get_ref<const std::string&>())) {
      return Status::InvalidArgument("'node' must be a node id: ^[a-z0-9][a-z0-9-]{0,62}$", "invalid_field");
    }
    r.node = node->get<std::string>();
  }
  return r;
}

Result<engine::Tier> ParseTierMoveBody(const json& body) {
  TKV_RETURN_IF_ERROR(CheckFields(body, {"tier"}));
  auto tier = body.find("tier");
  if (tier == body.end() || !tier->is_string()) {
    return Status::InvalidArgument("'tier' must be a string: pooled, column_family or dedicated", "invalid_field");
  }
  return engine::ParseTier(tier->get_ref<const std::string&>());
}

Result<std::string> ParseNodeMoveBody(const json& body) {
  TKV_RETURN_IF_ERROR(CheckFields(body, {"node"}));
  auto node = body.find("node");
  if (node == body.end() || !node->is_string() || !engine::IsValidTenantId(node->get_ref<const std::string&>())) {
    return Status::InvalidArgument("'node' must be the id of a node of the cluster", "invalid_field");
  }
  return node->get<std::string>();
}

Result<ApiKeyCreateRequest> ParseApiKeyCreateBody(const json& body) {
  TKV_RETURN_IF_ERROR(CheckFields(body, {"role", "name", "expires_at"}));
  auto role = body.find("role");
  if (role == body.end() || !role->is_string()) {
    return Status::InvalidArgument("'role' must be one of read, write, admin", "invalid_role");
  }
  ApiKeyCreateRequest r;
  TKV_ASSIGN_OR_RETURN(r.role, engine::ParseRole(role->get_ref<const std::string&>()));
  if (auto name = body.find("name"); name != body.end() && !name->is_null()) {
    if (!name->is_string()) return Status::InvalidArgument("'name' must be a string", "invalid_name");
    TKV_RETURN_IF_ERROR(engine::ValidateApiKeyName(name->get_ref<const std::string&>()));
    r.options.name = name->get<std::string>();
  }
  if (auto expires = body.find("expires_at"); expires != body.end() && !expires->is_null()) {
    const Status bad = Status::InvalidArgument(
        "'expires_at' must be an RFC 3339 date-time in the future, such as 2030-01-31T12:00:00Z",
        "invalid_expires_at");
    if (!expires->is_string()) return bad;
    std::optional<int64_t> ms = ParseRfc3339(expires->get_ref<const std::string&>());
    // 0 would read as "never"; nothing before the epoch is in the future.
    if (!ms || *ms <= 0) return bad;
    r.options.expires_at_ms = *ms;
  }
  return r;
}

Result<QuotaRequestBody> ParseQuotaRequestBody(const json& body) {
  TKV_RETURN_IF_ERROR(CheckFields(body, {"fields", "reason", "expires_at"}));
  QuotaRequestBody r;
  auto fields = body.find("fields");
  if (fields == body.end() || !fields->is_object() || fields->empty()) {
    return Status::InvalidArgument("'fields' must be an object naming at least one quota field", "invalid_quota");
  }
  TKV_ASSIGN_OR_RETURN(r.fields, QuotaFieldValues(*fields));
  auto reason = body.find("reason");
  if (reason == body.end() || !reason->is_string()) {
    return Status::InvalidArgument("'reason' must be a string saying why the quota is needed", "invalid_reason");
  }
  r.reason = reason->get<std::string>();
  if (auto expires = body.find("expires_at"); expires != body.end() && !expires->is_null()) {
    const Status bad = Status::InvalidArgument(
        "'expires_at' must be an RFC 3339 date-time in the future, such as 2030-01-31T12:00:00Z",
        "invalid_expires_at");
    if (!expires->is_string()) return bad;
    std::optional<int64_t> ms = ParseRfc3339(expires->get_ref<const std::string&>());
    if (!ms || *ms <= 0) return bad;
    r.expires_at_ms = *ms;
  }
  return r;
}

Result<std::string> ParseQuotaDecisionBody(const json& body) {
  TKV_RETURN_IF_ERROR(CheckFields(body, {"comment"}));
  auto comment = body.find("comment");
  if (comment == body.end() || comment->is_null()) return std::string();
  const Status bad = Status::InvalidArgument(
      "'comment' must be a string of at most " + std::to_string(engine::kMaxQuotaRequestReasonBytes) +
          " bytes without control characters",
      "invalid_comment");
  if (!comment->is_string()) return bad;
  std::string text = comment->get<std::string>();
  // The engine's reason rule, except that a comment may be empty.
  if (!text.empty() && !engine::ValidateQuotaRequestReason(text).ok()) return bad;
  return text;
}

Result<QuotaRequestListQuery> ParseQuotaRequestListQuery(const std::map<std::string, std::string>& query) {
  QuotaRequestListQuery q;
  std::map<std::string, std::string> paging;
  for (const auto& [name, value] : query) {
    if (name == "state") {
      TKV_ASSIGN_OR_RETURN(q.filter.state, engine::ParseQuotaRequestState(value));
    } else if (name == "tenant") {
      if (!engine::IsValidTenantId(value)) {
        return Status::InvalidArgument("tenant must be a tenant id", "invalid_parameter");
      }
      q.filter.tenant = value;
    } else {
      paging[name] = value;
    }
  }
  TKV_ASSIGN_OR_RETURN(q.page, ParsePageQuery(paging));
  return q;
}

}  // namespace tenantkv::server
