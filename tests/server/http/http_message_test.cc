#include "server/http/http_message.h"

#include <gtest/gtest.h>

namespace tenantkv::server {
namespace {

TEST(HttpHeaders, NamesCompareWithoutCaseAndRepeatsStay) {
  HttpRequest req;
  req.headers.Add("Content-Length", "5");
  req.headers.Add("content-length", "6");
  req.headers.Add("X-A", "1");
  EXPECT_EQ(req.headers.Count("CONTENT-LENGTH"), 2u);
  EXPECT_EQ(req.Header("content-LENGTH"), "5") << "the first of a repeated name";
  EXPECT_TRUE(req.HasHeader("x-a"));
  EXPECT_EQ(req.Header("X-B"), "");
  req.headers.Erase("Content-length");
  EXPECT_EQ(req.headers.size(), 1u);
}

TEST(HttpResponse, SetHeaderReplacesAndDropsValuesThatCouldSplitTheHead) {
  HttpResponse res;
  res.SetHeader("Location", "/a");
  res.SetHeader("location", "/b");
  EXPECT_EQ(res.headers.Count("Location"), 1u);
  EXPECT_EQ(res.Header("LOCATION"), "/b");
  res.SetHeader("X-Evil", "a\r\nSet-Cookie: x=1");
  res.SetHeader("X-Nul", std::string("a\0b", 3));
  EXPECT_FALSE(res.headers.Has("X-Evil"));
  EXPECT_FALSE(res.headers.Has("X-Nul"));
}

TEST(HttpResponse, SetBodyMovesTheBodyIn) {
  HttpResponse res;
  std::string big(1 << 20, 'v');
  const char* data = big.data();
  res.SetBody(std::move(big), "application/octet-stream");
  EXPECT_EQ(res.body.data(), data) << "the buffer itself, not a copy";
  EXPECT_EQ(res.Header("Content-Type"), "application/octet-stream");
}

TEST(HttpRequest, PathStopsAtTheQuery) {
  HttpRequest req;
  req.target = "/v1/kv?limit=5";
  EXPECT_EQ(req.Path(), "/v1/kv");
  req.target = "/v1/kv/a%3Fb";
  EXPECT_EQ(req.Path(), "/v1/kv/a%3Fb");
}

}  // namespace
}  // namespace tenantkv::server
