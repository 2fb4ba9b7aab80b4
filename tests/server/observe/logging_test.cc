#include "server/observe/logging.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

namespace tenantkv::server {
namespace {

using nlohmann::json;

std::vector<json> ParseLines(const std::string& text) {
  std::vector<json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    json j = json::parse(line, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << line;
    out.push_back(std::move(j));
  }
  return out;
}

TEST(Logging, EveryLineIsOneJsonObjectWithTimeAndLevel) {
  std::ostringstream out;
  Loggers l = MakeLoggers(std::make_shared<spdlog::sinks::ostream_sink_st>(out), "info", true);
  l.main->info("a \"quoted\" message\nover two lines \\ with a backslash");
  l.main->debug("below the level");
  l.access->info(json{{"request_id", "r1"}, {"status", 200}}.dump());
  const auto lines = ParseLines(out.str());
  ASSERT_EQ(lines.size(), 2u) << out.str();
  EXPECT_EQ(lines[0]["level"], "info");
  EXPECT_EQ(lines[0]["logger"], "tenantkv");
  EXPECT_EQ(lines[0]["msg"], "a \"quoted\" message\nover two lines \\ with a backslash");
  const std::string ts = lines[0]["ts"];
  EXPECT_EQ(ts.size(), std::string("2026-11-29T05:39:04.123Z").size()) << ts;
  EXPECT_EQ(ts.back(), 'Z');
  // Access lines carry their fields at the top level, after ts and level.
  EXPECT_EQ(lines[1]["level"], "info");
  EXPECT_TRUE(lines[1].contains("ts"));
  EXPECT_EQ(lines[1]["request_id"], "r1");
  EXPECT_EQ(lines[1]["status"], 200);
  EXPECT_FALSE(lines[1].contains("msg"));
}

TEST(Logging, AccessLogIsSwitchedOnItsOwn) {
  std::ostringstream out;
  Loggers l = MakeLoggers(std::make_shared<spdlog::sinks::ostream_sink_st>(out), "error", false);
  l.main->warn("below the level");
  l.access->info(json{{"request_id", "r1"}}.dump());
  EXPECT_EQ(out.str(), "");
  Loggers quiet = MakeLoggers(std::make_shared<spdlog::sinks::ostream_sink_st>(out), "off", true);
  quiet.main->error("off");
  quiet.access->info(json{{"request_id", "r2"}}.dump());
  const auto lines = ParseLines(out.str());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["request_id"], "r2");
}

TEST(Logging, InvalidUtf8InAMessageStillGivesValidJson) {
  std::ostringstream out;
  Loggers l = MakeLoggers(std::make_shared<spdlog::sinks::ostream_sink_st>(out), "info", true);
  l.main->info(std::string("bad \xff byte"));
  EXPECT_EQ(ParseLines(out.str()).size(), 1u);
}

TEST(Logging, AppendJsonStringGivesValidJsonForAnyBytes) {
  struct Case {
    std::string in, out;
  } cases[] = {{"plain", "\"plain\""},
               {"a\"b\\c", "\"a\\\"b\\\\c\""},
               {"line\nfeed\x01", "\"line\\u000afeed\\u0001\""},
               {"\xff\x7f", "\"\\u00ff\\u007f\""}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.out);
    std::string out;
    AppendJsonString(out, c.in);
    EXPECT_EQ(out, c.out);
    EXPECT_FALSE(json::parse(out, nullptr, false).is_discarded());
  }
  std::string ascii;
  AppendJsonString(ascii, "q\"\\\n\t");
  EXPECT_EQ(json::parse(ascii).get<std::string>(), "q\"\\\n\t");
}

// Reads what is in the pipe now (non-blocking).
std::string Drain(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

TEST(Logging, BufferedSinkWritesInBatchesAndAtOnceForWarnings) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  ASSERT_EQ(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
  {
    auto sink = std::make_shared<BufferedFdSink>(p[1], 300);
    Loggers l = MakeLoggers(sink, "info", true);
    l.access->info(json{{"request_id", "a"}}.dump());
    EXPECT_EQ(Drain(p[0]), "");  // held in the buffer
    l.main->flush();
    EXPECT_EQ(ParseLines(Drain(p[0])).size(), 1u);
    l.access->info(json{{"request_id", "b"}}.dump());
    l.main->warn("now");  // warnings go out at once, with what was waiting
    auto lines = ParseLines(Drain(p[0]));
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0]["request_id"], "b");
    EXPECT_EQ(lines[1]["msg"], "now");
    for (int i = 0; i < 8; ++i) l.access->info(json{{"request_id", std::to_string(i)}}.dump());
    const size_t at_capacity = ParseLines(Drain(p[0])).size();  // the buffer filled at least once
    EXPECT_GE(at_capacity, 1u);
    EXPECT_LT(at_capacity, 8u);  // and the last lines wait for the next batch
    l.access->info(json{{"request_id", "last"}}.dump());
  }  // destruction flushes the rest
  const auto rest = ParseLines(Drain(p[0]));
  ASSERT_FALSE(rest.empty());
  EXPECT_EQ(rest.back()["request_id"], "last");
  close(p[0]);
  close(p[1]);
}

}  // namespace
}  // namespace tenantkv::server
