// url.h, base64.h and json_io.h helpers.
#include <gtest/gtest.h>

#include "server/http/base64.h"
#include "server/api/json_io.h"
#include "server/http/url.h"

#include <map>
#include <random>
#include <string>
#include <vector>

namespace tenantkv::server {
namespace {

TEST(PercentDecode, DecodesAndRejects) {
  EXPECT_EQ(PercentDecode("a%20b%2F%2f+"), "a b//+");
  EXPECT_EQ(PercentDecode(""), "");
  EXPECT_FALSE(PercentDecode("%"));
  EXPECT_FALSE(PercentDecode("%4"));
  EXPECT_FALSE(PercentDecode("%g0"));
}

TEST(ParseQuery, FormEncoding) {
  auto q = ParseQuery("prefix=a+b&start_after=%00x&values=true&flag");
  ASSERT_TRUE(q);
  EXPECT_EQ((*q)["prefix"], "a b");
  EXPECT_EQ((*q)["start_after"], std::string("\0x", 2));
  EXPECT_EQ((*q)["values"], "true");
  EXPECT_EQ((*q)["flag"], "");
  EXPECT_FALSE(ParseQuery("a=1&a=2"));
  EXPECT_FALSE(ParseQuery("a=%zz"));
  EXPECT_TRUE(ParseQuery("")->empty());
}

TEST(PercentEncode, RoundTrips) {
  const std::string raw("k\x00\xff/ +%", 7);
  EXPECT_EQ(PercentEncode(raw), "k%00%FF%2F%20%2B%25");
  EXPECT_EQ(PercentDecode(PercentEncode(raw)), raw);
}

TEST(Base64, RoundTripAndStrictness) {
  for (const std::string& s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar", std::string("\0\xff", 2)}) {
    SCOPED_TRACE(s);
    EXPECT_EQ(Base64Decode(Base64Encode(s)), s);
  }
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  // The last two are not canonical: bits after the last byte are set.
  for (const char* bad : {"Zm9", "Zm9v\n", "Zm=v", "Z===", "Zm9vYmFy=", "Zm8*", " Zm8=", "QR==", "Zm9="}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(Base64Decode(bad));
  }
}

TEST(Base64, AcceptsExactlyTheEncodingsOfByteStrings) {
  // Decoding is a table pass of our own: it must accept a text exactly
  // when the text is the (OpenSSL) encoding of some byte string.
  std::mt19937 rng(20261129);
  for (int i = 0; i < 20000; ++i) {
    std::string bytes(rng() % 40, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    ASSERT_EQ(Base64Decode(Base64Encode(bytes)), bytes);
  }
  const std::string chars = "AQgwZaz09+/=*= \n";  // alphabet edges, padding, outsiders
  int accepted = 0;
  for (int i = 0; i < 200000; ++i) {
    std::string text((rng() % 3) * 4, '\0');
    for (char& c : text) c = chars[rng() % chars.size()];
    auto decoded = Base64Decode(text);
    if (decoded) {
      ++accepted;
      ASSERT_EQ(Base64Encode(*decoded), text);
    }
  }
  EXPECT_GT(accepted, 1000);  // the property was tried on accepted texts too
}

TEST(BatchResultsJson, WritesWhatTheJsonLibraryWould) {
  using engine::BatchOpResult;
  using engine::BatchOutcome;
  // Each outcome answers what a single-key call of the same kind would.
  const std::map<BatchOutcome, int> kStatusOf = {
      {BatchOutcome::kFound, 200},   {BatchOutcome::kAbsent, 404},  {BatchOutcome::kCreated, 201},
      {BatchOutcome::kReplaced, 204}, {BatchOutcome::kDeleted, 204},
  };
  const std::vector<std::vector<BatchOpResult>> cases = {
      {},
      {{BatchOutcome::kCreated, std::nullopt, "\"0123abcd\""}},
      {{BatchOutcome::kFound, std::string("v\0\xff", 3), "\"e\""},
       {BatchOutcome::kAbsent, std::nullopt, std::nullopt},
       {BatchOutcome::kReplaced, std::nullopt, "\"x\""}},
      {{BatchOutcome::kFound, std::string(), "odd \\ \x01 \xc3\xa9 \xff"}},  // escapes, UTF-8, invalid UTF-8
      {{BatchOutcome::kDeleted, std::nullopt, "a\\\"b\\\\"},
       {BatchOutcome::kCreated, std::nullopt, "\\"}},  // quotes and backslashes, ASCII
  };
  for (const auto& results : cases) {
    json out = json::array();
    for (const auto& r : results) {
      json item = {{"status", kStatusOf.at(r.outcome)}};
      if (r.value) item["value_b64"] = Base64Encode(*r.value);
      if (r.etag) item["etag"] = *r.etag;
      out.push_back(std::move(item));
    }
    const json doc = {{"results", std::move(out)}};
    EXPECT_EQ(BatchResultsJson(results), doc.dump(-1, ' ', false, json::error_handler_t::replace));
  }
}

TEST(Utf8, Validates) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));           // truncated
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));       // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));   // surrogate
}

TEST(Rfc3339, FormatsUtc) {
  EXPECT_EQ(Rfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(Rfc3339(1'790'000'000'123), "2026-09-21T14:13:20Z");
  EXPECT_EQ(Rfc3339Exact(1'790'000'000'000), "2026-09-21T14:13:20Z");
  EXPECT_EQ(Rfc3339Exact(1'790'000'000'123), "2026-09-21T14:13:20.123Z");
  EXPECT_EQ(Rfc3339Exact(1'790'000'000'007), "2026-09-21T14:13:20.007Z");
}

TEST(Rfc3339, ParsesDateTimes) {
  struct Case {
    const char* text;
    int64_t ms;
  };
  const std::vector<Case> accepted = {
      {"1970-01-01T00:00:00Z", 0},
      {"2026-09-21T14:13:20Z", 1'790'000'000'000},
      {"2026-09-21t14:13:20z", 1'790'000'000'000},
      {"2026-09-21T14:13:20.123Z", 1'790'000'000'123},
      {"2026-09-21T14:13:20.1Z", 1'790'000'000'100},
      {"2026-09-21T14:13:20.123999999Z", 1'790'000'000'123},  // finer digits dropped
      {"2026-09-21T16:13:20+02:00", 1'790'000'000'000},
      {"2026-09-21T14:13:20-00:00", 1'790'000'000'000},
      {"2026-09-21T09:43:20-04:30", 1'790'000'000'000},
      {"2000-02-29T00:00:00Z", 951'782'400'000},  // a leap day of a 400-year
      {"2024-02-29T12:00:00Z", 1'709'208'000'000},
      {"1969-12-31T23:59:59Z", -1000},
      {"9999-12-31T23:59:59Z", 253'402'300'799'000},
  };
  for (const Case& c : accepted) {
    SCOPED_TRACE(c.text);
    const std::optional<int64_t> ms = ParseRfc3339(c.text);
    ASSERT_TRUE(ms.has_value());
    EXPECT_EQ(*ms, c.ms);
  }
  for (const char* bad : {"", "2026-09-21", "2026-09-21T14:13:20", "2026-09-21 14:13:20Z", " 2026-09-21T14:13:20Z",
                          "2026-09-21T14:13:20Z ", "2026-9-21T14:13:20Z", "26-09-21T14:13:20Z",
                          "2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z", "2026-02-29T00:00:00Z",
                          "1900-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-09-21T24:00:00Z",
                          "2026-09-21T14:60:00Z", "2026-12-31T23:59:60Z", "2026-09-21T14:13:20.Z",
                          "2026-09-21T14:13:20+2:00", "2026-09-21T14:13:20+0200", "2026-09-21T14:13:20+24:00",
                          "2026-09-21T14:13:20+02:60", "2026-09-21T14:13:20ZZ", "+2026-09-21T14:13:20Z",
                          "2026-09-21T14:13:20.12a3Z", "1790000000"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(ParseRfc3339(bad).has_value());
  }
  // What Rfc3339Exact writes reads back.
  for (int64_t ms : {int64_t{0}, int64_t{1'790'000'000'123}, int64_t{951'782'400'001}}) {
    EXPECT_EQ(ParseRfc3339(Rfc3339Exact(ms)), ms);
  }
}

}  // namespace
}  // namespace tenantkv::server
