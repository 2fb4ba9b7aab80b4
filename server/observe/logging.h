// Logging: every line the server logs is one JSON object (JSON Lines) on
// one sink, stderr by default.
//
// Ordinary lines: {"ts":"2026-11-29T05:39:04.123Z","level":"info","logger":"tenantkv","msg":"..."}.
// Access lines (one per request, logger "access"): the request's fields
// (built by the caller as a JSON object) after "ts" and "level". Nothing
// logged may hold a token, an Authorization header, a value or key
// material: callers pass route patterns, tenant ids, sizes and codes only.
#pragma once

#include <spdlog/formatter.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>

#include <memory>
#include <string>
#include <string_view>

namespace tenantkv::server {

inline constexpr const char* kAccessLoggerName = "access";

// Formats for a sink (spdlog keeps formatters per sink, so one formatter
// serves both loggers): lines of the logger named kAccessLoggerName carry a
// JSON object whose members are spliced in after ts and level; any other
// line's message becomes the escaped string "msg".
class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

// Appends `s` as a JSON string literal (quotes included). Quote, backslash,
// control bytes and every byte >= 0x7f are escaped (bytes >= 0x80 as
// \u00XX), so the result is valid JSON whatever the input bytes. For
// building access lines without a JSON library's allocations.
void AppendJsonString(std::string& out, std::string_view s);

// Writes formatted lines to a file descriptor in batches, so that an access
// line per request costs a memcpy, not a write(2) and a flush: the buffer
// goes out when it holds `capacity` bytes, at once for warn and above, and
// on flush() (spdlog::flush_every drives it) and destruction. Lines are
// never split across writes by other threads.
class BufferedFdSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit BufferedFdSink(int fd, size_t capacity = 64 << 10) : fd_(fd), capacity_(capacity) {}
  ~BufferedFdSink() override;

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override;

 private:
  const int fd_;
  const size_t capacity_;
  std::string buffer_;  // GUARDED_BY(mutex_)
};

struct Loggers {
  std::shared_ptr<spdlog::logger> main;    // named "tenantkv"; make it the default logger
  std::shared_ptr<spdlog::logger> access;  // named "access"; level off when disabled
};

// Both loggers write to `sink` (whose formatter becomes a JsonLogFormatter). `level` is a valid ServerOptions::log_level;
// the access log is on or off by `access_log` alone, whatever the level.
Loggers MakeLoggers(spdlog::sink_ptr sink, const std::string& level, bool access_log);

}  // namespace tenantkv::server
