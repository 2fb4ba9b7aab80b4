#include "server/api/json_io.h"

#include "server/http/base64.h"
#include "server/api/request_parsing.h"

namespace tenantkv::server {

Result<json> ParseJsonObject(const HttpRequest& req) { return ParseAdminBodyText(req.body); }

void WriteJson(HttpResponse& res, int status, const json& body) {
  res.status = status;
  res.SetBody(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

json QuotaToJson(const engine::Quota& q) {
  json j = json::object();
  for (const auto& f : engine::QuotaFields()) j[f.name] = q.*f.member;
  return j;
}

json AddonToJson(const engine::Addon& a) {
  auto or_null = [](const std::string& s) { return s.empty() ? json(nullptr) : json(s); };
  auto time_or_null = [](int64_t ms) { return ms == 0 ? json(nullptr) : json(Rfc3339Exact(ms)); };
  auto version_or_null = [](int64_t v) { return v == 0 ? json(nullptr) : json(v); };
  json fields = json::object();
  for (const auto& [name, value] : a.fields) fields[name] = value;
  return {{"id", a.id},
          {"tenant", a.tenant},
          {"fields", std::move(fields)},
          {"starts_at", Rfc3339Exact(a.starts_at_ms)},
          {"ends_at", Rfc3339Exact(a.ends_at_ms)},
          {"state", engine::AddonStateName(a.state)},
          {"reason", or_null(a.reason)},
          {"request", or_null(a.request)},
          {"created_by", a.created_by},
          {"created_at", Rfc3339Exact(a.created_at_ms)},
          {"started_version", version_or_null(a.started_version)},
          {"ended_version", version_or_null(a.ended_version)},
          {"finished_at", time_or_null(a.finished_at_ms)},
          {"cancelled_by", or_null(a.cancelled_by)}};
}

namespace {

// `s` as a JSON string, as WriteJson would write it: printable ASCII goes
// as it is, quotes and backslashes escaped (an ETag is quoted); control
// characters and anything outside ASCII go through the JSON library
// (escapes, UTF-8 checks), which is rare here.
void AppendJsonString(std::string* out, std::string_view s) {
  bool plain = true;
  for (unsigned char c : s) plain = plain && c >= 0x20 && c < 0x7f;
  if (!plain) {
    *out += json(s).dump(-1, ' ', false, json::error_handler_t::replace);
    return;
  }
  out->push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\') out->push_back('\\');
    out->push_back(c);
  }
  out->push_back('"');
}

// The answer code of one batch operation, as a single-key call of the same
// kind would answer it.
int BatchOpStatus(engine::BatchOutcome outcome) {
  switch (outcome) {
    case engine::BatchOutcome::kFound: return 200;
    case engine::BatchOutcome::kAbsent: return 404;
    case engine::BatchOutcome::kCreated: return 201;
    case engine::BatchOutcome::kReplaced:
    case engine::BatchOutcome::kDeleted: return 204;
  }
  return 500;
}

}  // namespace

std::string BatchResultsJson(const std::vector<engine::BatchOpResult>& results) {
  std::string out;
  out.reserve(32 + results.size() * 64);
  out += "{\"results\":[";
  for (size_t i = 0; i < results.size(); ++i) {
    const engine::BatchOpResult& r = results[i];
    if (i > 0) out.push_back(',');
    out.push_back('{');
    if (r.etag) {
      out += "\"etag\":";
      AppendJsonString(&out, *r.etag);
      out.push_back(',');
    }
    out += "\"status\":";
    out += std::to_string(BatchOpStatus(r.outcome));
    if (r.value) {
      out += ",\"value_b64\":\"";
      out += Base64Encode(*r.value);  // the base64 alphabet needs no escapes
      out.push_back('"');
    }
    out.push_back('}');
  }
  out += "]}";
  return out;
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) { ++i; continue; }
    if ((c & 0xE0) == 0xC0) { n = 1; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { n = 2; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { n = 3; cp = c & 0x07; }
    else return false;
    if (i + n >= s.size()) return false;
    for (size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = cp << 6 | (cc & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

}  // namespace tenantkv::server
