// The seam between the commands and the network: commands describe a
// request, a transport carries it. Tests use a fake transport.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "crypto/status.h"

namespace tenantkv::tools {

// JSON in the order the server wrote it, so tables and --json keep that order.
using Json = nlohmann::ordered_json;

struct HttpRequest {
  std::string method;         // "GET", "POST", "PUT" or "DELETE"
  std::string path;           // route from "/", its segments already percent-encoded
  std::optional<Json> body;   // sent as application/json when set
  bool authenticated = true;  // false: no Authorization header (/readyz)
  // Extra headers; one named like a client-wide header (the change headers)
  // replaces it for this request.
  std::vector<std::pair<std::string, std::string>> headers = {};
};

struct HttpResponse {
  int status = 0;            // HTTP status code
  std::string content_type;  // the Content-Type header, "" when absent
  std::string body;          // raw body bytes
};

// Sends one request. Not thread-safe: one caller at a time.
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;

  // OK with the response for every HTTP status, 4xx and 5xx included. An
  // error (Code::kUnavailable, reason "transport") only when no response
  // arrived: connection refused, TLS failure, timeout. Its message names the
  // server and the cause, and never holds the token.
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
};

}  // namespace tenantkv::tools
