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
