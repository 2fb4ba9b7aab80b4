#include "tools/admin/problem_details.h"

#include "tools/admin/cli_errors.h"
#include "tools/admin/http_transport.h"

namespace tenantkv::tools {
namespace {

std::string ReasonPhrase(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 507: return "Insufficient Storage";
    default: return "HTTP error";
  }
}

Code CodeForHttpStatus(int status) {
  switch (status) {
    case 400:
    case 414: return Code::kInvalidArgument;
    case 401: return Code::kUnauthenticated;
    case 403: return Code::kPermissionDenied;
    case 404: return Code::kNotFound;
    case 409: return Code::kAlreadyExists;
    case 412: return Code::kFailedPrecondition;
    case 413: return Code::kTooLarge;
    case 429: return Code::kResourceExhausted;
    case 502:
    case 503:
    case 504: return Code::kUnavailable;
    case 507: return Code::kStorageExhausted;
    default: return Code::kInternal;
  }
}

// The member `name` when it is a non-empty string, else "".
std::string StringMember(const Json& object, const char* name) {
  if (!object.is_object()) return "";
  const auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

Json ParseProblem(std::string_view body) {
  return Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
}

}  // namespace

std::string DescribeHttpError(int http_status, std::string_view body) {
  const Json problem = ParseProblem(body);
  const std::string code = StringMember(problem, "code");
  std::string text = StringMember(problem, "detail");
  if (text.empty()) text = StringMember(problem, "title");
  if (text.empty()) text = ReasonPhrase(http_status);
  std::string head = std::to_string(http_status);
  if (!code.empty()) head += " " + code;
  return head + ": " + text;
}

Status HttpErrorStatus(int http_status, std::string_view body) {
  std::string reason = StringMember(ParseProblem(body), "code");
  // The reason reserved for local usage errors must not come from a server.
  if (reason.empty() || reason == kUsageReason) reason = "http_error";
  return Status(CodeForHttpStatus(http_status), std::move(reason),
                DescribeHttpError(http_status, body));
}

}  // namespace tenantkv::tools
