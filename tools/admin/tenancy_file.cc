#include "tools/admin/tenancy_file.h"

#include <openssl/evp.h>

#include <array>
#include <fstream>
#include <limits>
#include <regex>
#include <set>
#include <sstream>

#include "tools/admin/yaml_json.h"

namespace tenantkv::tools {
namespace {

constexpr std::size_t kMaxKeyNameBytes = 128;

Status Invalid(const std::string& path, const std::string& what) {
  return Status::InvalidArgument(path + ": " + what, kTenancyFileReason);
}

std::string At(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

// Refuses any member of `object` not in `allowed`.
Status OnlyMembers(const Json& object, const std::string& path, const std::set<std::string>& allowed) {
  for (const auto& [key, value] : object.items()) {
    if (allowed.count(key) == 0) {
      std::string known;
      for (const auto& a : allowed) known += (known.empty() ? "" : ", ") + a;
      return Invalid(path.empty() ? key : path + "." + key, "unknown field (expected one of: " + known + ")");
    }
  }
  return Status::Ok();
}

Result<std::string> String(const Json& v, const std::string& path) {
  if (!v.is_string()) return Invalid(path, "expected a string");
  return v.get<std::string>();
}

Result<std::string> IdLike(const Json& v, const std::string& path) {
  static const std::regex kId("[a-z0-9][a-z0-9-]{0,62}");
  TKV_ASSIGN_OR_RETURN(std::string s, String(v, path));
  if (!std::regex_match(s, kId)) return Invalid(path, "'" + s + "' does not match [a-z0-9][a-z0-9-]{0,62}");
  return s;
}

Result<std::string> OneOf(const Json& v, const std::string& path, const std::set<std::string>& values) {
  TKV_ASSIGN_OR_RETURN(std::string s, String(v, path));
  if (values.count(s) == 0) {
    std::string known;
    for (const auto& a : values) known += (known.empty() ? "" : ", ") + a;
    return Invalid(path, "'" + s + "' is not one of: " + known);
  }
  return s;
}

// A quota object: names to JSON integers. Which names exist is the server's
// to say (CheckQuotaFields), so that a newer server's fields need no new CLI.
Result<Json> QuotaObject(const Json& v, const std::string& path) {
  if (!v.is_object()) return Invalid(path, "expected a mapping of quota fields to integers");
  for (const auto& [key, value] : v.items()) {
    if (!value.is_number_integer()) return Invalid(path + "." + key, "expected an integer");
    if (value.is_number_unsigned() && value.get<std::uint64_t>() > std::numeric_limits<std::int64_t>::max()) {
      return Invalid(path + "." + key, "integer does not fit in 64 bits");
    }
  }
  return v;
}

// The API's rule for a key name: 1..128 bytes, no control characters (C0,
// DEL, C1) and no bidirectional formatting characters.
Status CheckKeyName(const std::string& name, const std::string& path) {
  if (name.empty() || name.size() > kMaxKeyNameBytes) return Invalid(path, "expected 1 to 128 bytes");
  for (std::size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    const auto next = i + 1 < name.size() ? static_cast<unsigned char>(name[i + 1]) : 0;
    const auto third = i + 2 < name.size() ? static_cast<unsigned char>(name[i + 2]) : 0;
    const bool c0 = c < 0x20 || c == 0x7f;
    const bool c1 = c == 0xc2 && next >= 0x80 && next <= 0x9f;
    const bool bidi = c == 0xe2 && ((next == 0x80 && third >= 0xaa && third <= 0xae) ||
                                    (next == 0x81 && third >= 0xa6 && third <= 0xa9));
    if (c0 || c1 || bidi) return Invalid(path, "holds a control or bidirectional formatting character");
  }
  return Status::Ok();
}

Result<KeySpec> ParseKey(const Json& v, const std::string& path) {
  if (!v.is_object()) return Invalid(path, "expected a mapping with name and role");
  TKV_RETURN_IF_ERROR(OnlyMembers(v, path, {"name", "role", "expires_at"}));
  if (!v.contains("name")) return Invalid(path + ".name", "missing");
  if (!v.contains("role")) return Invalid(path + ".role", "missing");
  KeySpec k;
  TKV_ASSIGN_OR_RETURN(k.name, String(v["name"], path + ".name"));
  TKV_RETURN_IF_ERROR(CheckKeyName(k.name, path + ".name"));
  TKV_ASSIGN_OR_RETURN(k.role, OneOf(v["role"], path + ".role", {"read", "write", "admin"}));
  if (v.contains("expires_at") && !v["expires_at"].is_null()) {
    TKV_ASSIGN_OR_RETURN(std::string at, String(v["expires_at"], path + ".expires_at"));
    k.expires_at = at;  // the server judges the date (400 invalid_expires_at)
  }
  return k;
}

Result<PlanSpec> ParsePlan(const Json& v, const std::string& path) {
  if (!v.is_object()) return Invalid(path, "expected a mapping with a name");
  TKV_RETURN_IF_ERROR(OnlyMembers(v, path, {"name", "defaults", "min", "max"}));
  if (!v.contains("name")) return Invalid(path + ".name", "missing");
  PlanSpec p;
  TKV_ASSIGN_OR_RETURN(p.name, IdLike(v["name"], path + ".name"));
  if (v.contains("defaults")) {
    TKV_ASSIGN_OR_RETURN(p.defaults, QuotaObject(v["defaults"], path + ".defaults"));
  }
  if (v.contains("min")) {
    TKV_ASSIGN_OR_RETURN(p.min, QuotaObject(v["min"], path + ".min"));
  }
  if (v.contains("max")) {
    TKV_ASSIGN_OR_RETURN(p.max, QuotaObject(v["max"], path + ".max"));
  }
  return p;
}

Result<TenantSpec> ParseTenant(const Json& v, const std::string& path) {
  if (!v.is_object()) return Invalid(path, "expected a mapping with an id");
  TKV_RETURN_IF_ERROR(OnlyMembers(v, path, {"id", "plan", "tier", "state", "quota", "api_keys"}));
  if (!v.contains("id")) return Invalid(path + ".id", "missing");
  TenantSpec t;
  TKV_ASSIGN_OR_RETURN(t.id, IdLike(v["id"], path + ".id"));
  if (v.contains("plan")) {
    TKV_ASSIGN_OR_RETURN(t.plan, IdLike(v["plan"], path + ".plan"));
  }
  if (v.contains("tier")) {
    TKV_ASSIGN_OR_RETURN(t.tier, OneOf(v["tier"], path + ".tier", {"pooled", "column_family", "dedicated"}));
  }
  if (v.contains("state")) {
    TKV_ASSIGN_OR_RETURN(t.state, OneOf(v["state"], path + ".state", {"active", "suspended"}));
  }
  if (v.contains("quota")) {
    TKV_ASSIGN_OR_RETURN(t.quota, QuotaObject(v["quota"], path + ".quota"));
  }
  if (v.contains("api_keys")) {
    const Json& keys = v["api_keys"];
    if (!keys.is_array()) return Invalid(path + ".api_keys", "expected a list");
    std::vector<KeySpec> out;
    std::set<std::string> names;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      TKV_ASSIGN_OR_RETURN(KeySpec k, ParseKey(keys[i], At(path + ".api_keys", i)));
      if (!names.insert(k.name).second) {
        return Invalid(At(path + ".api_keys", i) + ".name",
                       "key name '" + k.name + "' given twice for this tenant");
      }
      out.push_back(std::move(k));
    }
    t.api_keys = std::move(out);
  }
  return t;
}

Result<std::string> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument("cannot read " + path, kTenancyFileReason);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) return Status::InvalidArgument("cannot read " + path, kTenancyFileReason);
  return bytes.str();
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// JSON, refusing a key given twice in one object (the parser would keep the
// last silently, so a file could say two things and mean one).
Result<Json> ParseJsonFile(const std::string& bytes) {
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  const Json::parser_callback_t callback = [&](int, Json::parse_event_t event, Json& parsed) {
    if (event == Json::parse_event_t::object_start) open_objects.emplace_back();
    if (event == Json::parse_event_t::object_end && !open_objects.empty()) open_objects.pop_back();
    if (event == Json::parse_event_t::key && !open_objects.empty() && duplicate.empty() &&
        !open_objects.back().insert(parsed.get<std::string>()).second) {
      duplicate = parsed.get<std::string>();
    }
    return true;
  };
  Json doc;
  try {
    doc = Json::parse(bytes, callback);
  } catch (const Json::parse_error& e) {  // nlohmann reports where only by throwing
    return Status::InvalidArgument(std::string("not valid JSON: ") + e.what(), kTenancyFileReason);
  }
  if (!duplicate.empty()) {
    return Status::InvalidArgument("key '" + duplicate + "' given twice in one object", kTenancyFileReason);
  }
  return doc;
}

}  // namespace

Result<TenancySpec> ParseTenancySpec(const Json& doc) {
  if (!doc.is_object()) return Invalid("the file", "expected a mapping with plans and tenants");
  TKV_RETURN_IF_ERROR(OnlyMembers(doc, "", {"version", "plans", "tenants"}));
  if (doc.contains("version") &&
      !(doc["version"].is_number_integer() && doc["version"].get<std::int64_t>() == 1)) {
    return Invalid("version", "expected 1");
  }
  TenancySpec spec;
  if (doc.contains("plans")) {
    const Json& plans = doc["plans"];
    if (!plans.is_array()) return Invalid("plans", "expected a list");
    std::set<std::string> names;
    for (std::size_t i = 0; i < plans.size(); ++i) {
      TKV_ASSIGN_OR_RETURN(PlanSpec p, ParsePlan(plans[i], At("plans", i)));
      if (!names.insert(p.name).second)
        return Invalid(At("plans", i) + ".name", "plan '" + p.name + "' given twice");
      p.index = i;
      spec.plans.push_back(std::move(p));
    }
  }
  if (doc.contains("tenants")) {
    const Json& tenants = doc["tenants"];
    if (!tenants.is_array()) return Invalid("tenants", "expected a list");
    std::set<std::string> ids;
    for (std::size_t i = 0; i < tenants.size(); ++i) {
      TKV_ASSIGN_OR_RETURN(TenantSpec t, ParseTenant(tenants[i], At("tenants", i)));
      if (!ids.insert(t.id).second)
        return Invalid(At("tenants", i) + ".id", "tenant '" + t.id + "' given twice");
      t.index = i;
      spec.tenants.push_back(std::move(t));
    }
  }
  return spec;
}

Result<TenancyFile> ReadTenancyFile(const std::string& path) {
  TKV_ASSIGN_OR_RETURN(std::string bytes, ReadAll(path));
  Json doc;
  if (EndsWith(path, ".json")) {
    Result<Json> json = ParseJsonFile(bytes);
    if (!json.ok()) return Status::InvalidArgument(path + ": " + json.status().message(), kTenancyFileReason);
    doc = std::move(json).value();
  } else {
    Result<Json> yaml = YamlToJson(bytes);
    if (!yaml.ok()) return Status::InvalidArgument(path + ": " + yaml.status().message(), kTenancyFileReason);
    doc = std::move(yaml).value();
  }
  Result<TenancySpec> spec = ParseTenancySpec(doc);
  if (!spec.ok()) return Status::InvalidArgument(path + ": " + spec.status().message(), kTenancyFileReason);
  TKV_ASSIGN_OR_RETURN(std::string digest, Sha256Hex(bytes));
  return TenancyFile{std::move(digest), std::move(spec).value()};
}

Result<std::string> Sha256Hex(const std::string& bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    return Status::Internal("SHA-256 of the file failed (OpenSSL)", "digest");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

}  // namespace tenantkv::tools
