// GET /console/...: the web console's static assets (server/console), public
// like /healthz: they hold no data and reveal nothing; what the console shows
// comes from the API with the signed-in token.
#include <string>

#include "server/api/api.h"
#include "server/console/console_assets.h"
#include "server/http/http_status.h"

namespace tenantkv::server {

namespace {

// No inline script or style, nothing from another origin, never framed.
constexpr char kConsolePolicy[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

void SetConsoleHeaders(HttpResponse& res) {
  res.SetHeader("Content-Security-Policy", kConsolePolicy);
  res.SetHeader("X-Content-Type-Options", "nosniff");
  res.SetHeader("X-Frame-Options", "DENY");
  res.SetHeader("Referrer-Policy", "no-referrer");
  // Assets change with the binary; revalidating them costs little.
  res.SetHeader("Cache-Control", "no-cache");
}

Status ServeConsole(Call& c) {
  SetConsoleHeaders(c.res);
  if (!c.query.empty()) return Status::InvalidArgument("the console's assets take no query", "invalid_parameter");
  if (!ConsoleBuilt()) {
    return Status::NotFound(
        "the console was not built into this server (node and npm were not available when it was built)",
        "console_not_built");
  }
  auto it = c.params.find("path");
  const std::string name = it == c.params.end() ? "" : it->second;
  const ConsoleAsset* asset = FindConsoleAsset(name);
  if (asset == nullptr) return Status::NotFound("no such console asset", "not_found");
  // A few kilobytes from static storage: the one copy is the response body.
  c.res.SetBody(std::string(reinterpret_cast<const char*>(asset->data), asset->size), asset->content_type);
  return Status::Ok();
}

}  // namespace

void AddConsoleRoutes(ApiRouter& router) {
  // The console's pages name their assets relatively: from /console they
  // would resolve against /.
  router.Add("GET", "/console", {"console", Access::kPublic, false, [](Call& c) {
               c.res.status = 308;
               c.res.SetHeader("Location", "/console/");
               return Status::Ok();
             }});
  router.Add("GET", "/console/", {"console", Access::kPublic, false, ServeConsole});
  router.Add("GET", "/console/{*path}", {"console", Access::kPublic, false, ServeConsole});
}

}  // namespace tenantkv::server
