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
      {Status::Internal("x"), 500},         {Status(Code::kInvalidArgument, "method_not_allowed", "x"), 405},
      {Status::InvalidArgument("x", "length_required"), 411},
      {Status::InvalidArgument("x", "bad_framing"), 400},
      {Status(Code::kResourceExhausted, "auth_backoff", "x"), 429},
      {Status::PermissionDenied("x", "client_cert_required"), 403},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.s.ToString());
    EXPECT_EQ(HttpStatusOf(c.s), c.http);
  }
}

TEST(HttpStatus, ProblemBodyHasAllFields) {
  httplib::Response res;
  WriteProblem(res, Status::NotFound("no such key"));
  EXPECT_EQ(res.status, 404);
  EXPECT_EQ(res.get_header_value("Content-Type"), "application/problem+json");
  auto j = nlohmann::json::parse(res.body);
  EXPECT_EQ(j["status"], 404);
  EXPECT_EQ(j["code"], "not_found");
  EXPECT_EQ(j["detail"], "no such key");
  EXPECT_EQ(j["title"], "Not Found");
  EXPECT_FALSE(j["type"].get<std::string>().empty());
}

TEST(HttpStatus, InternalDetailsAreNotSent) {
  httplib::Response res;
  WriteProblem(res, Status::Internal("rocksdb: IO error at /secret/path"));
  EXPECT_EQ(res.status, 500);
  EXPECT_EQ(res.body.find("/secret/path"), std::string::npos);
}

TEST(HttpStatus, UnauthorizedAndUnavailableCarryHeaders) {
  httplib::Response a;
  WriteProblem(a, Status::Unauthenticated("x"));
  EXPECT_FALSE(a.get_header_value("WWW-Authenticate").empty());
  httplib::Response b;
  WriteProblem(b, Status::Unavailable("x"));
  EXPECT_EQ(b.get_header_value("Retry-After"), "1");
}

}  // namespace
}  // namespace tenantkv::server
