#include "server/http/http_status.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace tenantkv::server {
namespace {

TEST(HttpStatus, MapsEveryCode) {
  struct Case { Status s; int http; };
  const Case cases[] = {
      {Status::InvalidArgument("x"), 400},  {Status::Unauthenticated("x"), 401},
      {Status::PermissionDenied("x"), 403}, {Status::NotFound("x"), 404},
      {Status::AlreadyExists("x"), 409},    {Status::FailedPrecondition("x"), 412},
      {Status::TooLarge("x"), 413},         {Status(Code::kResourceExhausted, "rate_limited", "x"), 429},
      {Status(Code::kStorageExhausted, "storage_quota", "x"), 507},
      {Status::Unavailable("x"), 503},      {Status::DataLoss("x"), 500},
      {Status::Internal("x"), 500},         {Status::InvalidArgument("x", "bad_framing"), 400},
      {Status(Code::kResourceExhausted, "auth_backoff", "x"), 429},
      {Status::PermissionDenied("x", "client_cert_required"), 403},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.s.ToString());
    EXPECT_EQ(HttpStatusOf(c.s), c.http);
  }
}

TEST(HttpStatus, IsAFunctionOfTheCodeAlone) {
  const Code codes[] = {Code::kOk,           Code::kInvalidArgument,   Code::kUnauthenticated,
                        Code::kPermissionDenied, Code::kNotFound,      Code::kAlreadyExists,
                        Code::kFailedPrecondition, Code::kTooLarge,    Code::kResourceExhausted,
                        Code::kStorageExhausted, Code::kUnavailable,   Code::kDataLoss,
                        Code::kInternal};
  // Reasons that once chose the status themselves, and ordinary ones.
  const char* reasons[] = {"", "bad_request", "method_not_allowed", "length_required", "not_found",
                           "rate_limited", "internal"};
  for (Code code : codes) {
    const int status = HttpStatusOf(Status(code, "", ""));
    for (const char* reason : reasons) {
      SCOPED_TRACE(Status(code, reason, "detail").ToString());
      EXPECT_EQ(HttpStatusOf(Status(code, reason, "detail")), status);
      EXPECT_EQ(HttpStatusOf(Status(code, reason, "another detail")), status);
    }
  }
}

TEST(HttpStatus, HttpOnlyProblemsCarryTheirCodeAndDetail) {
  HttpResponse res;
  WriteHttpProblem(res, 411, "length_required", "send Content-Length (0 for no body)");
  EXPECT_EQ(res.status, 411);
  EXPECT_EQ(res.Header("Content-Type"), "application/problem+json");
  auto j = nlohmann::json::parse(res.body);
  EXPECT_EQ(j["status"], 411);
  EXPECT_EQ(j["code"], "length_required");
  EXPECT_EQ(j["detail"], "send Content-Length (0 for no body)");
  EXPECT_EQ(j["title"], "Length Required");
  EXPECT_EQ(j["type"], "https://tenantkv.dev/problems/length_required");
}

TEST(HttpStatus, ProblemBodyHasAllFields) {
  HttpResponse res;
  WriteProblem(res, Status::NotFound("no such key"));
  EXPECT_EQ(res.status, 404);
  EXPECT_EQ(res.Header("Content-Type"), "application/problem+json");
  auto j = nlohmann::json::parse(res.body);
  EXPECT_EQ(j["status"], 404);
  EXPECT_EQ(j["code"], "not_found");
  EXPECT_EQ(j["detail"], "no such key");
  EXPECT_EQ(j["title"], "Not Found");
  EXPECT_FALSE(j["type"].get<std::string>().empty());
}

TEST(HttpStatus, InternalDetailsAreNotSent) {
  HttpResponse res;
  WriteProblem(res, Status::Internal("rocksdb: IO error at /secret/path"));
  EXPECT_EQ(res.status, 500);
  EXPECT_EQ(res.body.find("/secret/path"), std::string::npos);
}

TEST(HttpStatus, UnauthorizedAndUnavailableCarryHeaders) {
  HttpResponse a;
  WriteProblem(a, Status::Unauthenticated("x"));
  EXPECT_FALSE(a.Header("WWW-Authenticate").empty());
  HttpResponse b;
  WriteProblem(b, Status::Unavailable("x"));
  EXPECT_EQ(b.Header("Retry-After"), "1");
}

}  // namespace
}  // namespace tenantkv::server
