#include "server/http/http_status.h"

#include <nlohmann/json.hpp>

namespace tenantkv::server {
namespace {

const char* TitleOf(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 416: return "Range Not Satisfiable";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 507: return "Insufficient Storage";
    default: return status >= 500 ? "Server Error" : "Client Error";
  }
}

const char* CodeOfHttp(int status) {
  switch (status) {
    case 400: return "bad_request";
    case 404: return "route_not_found";
    case 405: return "method_not_allowed";
    case 413: return "payload_too_large";
    case 414: return "uri_too_long";
    case 416: return "range_not_satisfiable";
    case 431: return "headers_too_large";
    case 503: return "unavailable";
    default: return status >= 500 ? "internal" : "bad_request";
  }
}

void Write(HttpResponse& res, int status, const std::string& code, const std::string& detail) {
  nlohmann::json body = {{"type", "https://tenantkv.dev/problems/" + code},
                         {"title", TitleOf(status)},
                         {"status", status},
                         {"detail", detail},
                         {"code", code}};
  res.status = status;
  res.SetBody(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/problem+json");
}

}  // namespace

int HttpStatusOf(const Status& s) {
  switch (s.code()) {
    case Code::kOk: return 200;
    case Code::kInvalidArgument: return 400;
    case Code::kUnauthenticated: return 401;
    case Code::kPermissionDenied: return 403;
    case Code::kNotFound: return 404;
    case Code::kAlreadyExists: return 409;
    case Code::kFailedPrecondition: return 412;
    case Code::kTooLarge: return 413;
    case Code::kResourceExhausted: return 429;
    case Code::kStorageExhausted: return 507;
    case Code::kUnavailable: return 503;
    case Code::kDataLoss:
    case Code::kInternal: return 500;
  }
  return 500;
}

void WriteProblem(HttpResponse& res, const Status& s) {
  const int status = HttpStatusOf(s);
  if (status >= 500 && status != 503 && status != 507) {  // 503/507 are the client's to know
    Write(res, status, s.reason().empty() ? "internal" : s.reason(),
          "the server failed to complete the request; see its log for the request id");
    return;
  }
  Write(res, status, s.reason(), s.message());
  if (status == 401) res.SetHeader("WWW-Authenticate", "Bearer realm=\"tenantkv\"");
  if (status == 503) res.SetHeader("Retry-After", "1");
}

void WriteHttpProblem(HttpResponse& res, int http_status) {
  Write(res, http_status, CodeOfHttp(http_status), TitleOf(http_status));
}

void WriteHttpProblem(HttpResponse& res, int http_status, const std::string& code,
                      const std::string& detail) {
  Write(res, http_status, code, detail);
}

}  // namespace tenantkv::server
