#include "server/observe/logging.h"

#include <nlohmann/json.hpp>
#include <spdlog/sinks/sink.h>

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <ctime>

namespace tenantkv::server {
namespace {

void Append(spdlog::memory_buf_t& dest, std::string_view s) { dest.append(s.data(), s.data() + s.size()); }

// RFC 3339 UTC with milliseconds.
void AppendTimestamp(spdlog::memory_buf_t& dest, spdlog::log_clock::time_point tp) {
  using namespace std::chrono;
  const auto ms = duration_cast<milliseconds>(tp.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  const size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof(buf) - n, ".%03dZ", static_cast<int>(ms % 1000));
  Append(dest, buf);
}

std::string JsonString(std::string_view s) {
  return nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  out += '"';
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += ch;
    }
  }
  out += '"';
}

void JsonLogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  const std::string_view payload(msg.payload.data(), msg.payload.size());
  Append(dest, "{\"ts\":\"");
  AppendTimestamp(dest, msg.time);
  Append(dest, "\",\"level\":");
  const auto level = spdlog::level::to_string_view(msg.level);
  Append(dest, JsonString(std::string_view(level.data(), level.size())));
  const std::string_view logger(msg.logger_name.data(), msg.logger_name.size());
  if (logger == kAccessLoggerName && payload.size() > 2 && payload.front() == '{' && payload.back() == '}') {
    Append(dest, ",");
    Append(dest, payload.substr(1));
  } else {
    Append(dest, ",\"logger\":");
    Append(dest, JsonString(logger));
    Append(dest, ",\"msg\":");
    Append(dest, JsonString(payload));
    Append(dest, "}");
  }
  Append(dest, "\n");
}

std::unique_ptr<spdlog::formatter> JsonLogFormatter::clone() const {
  return std::make_unique<JsonLogFormatter>();
}

BufferedFdSink::~BufferedFdSink() {
  std::lock_guard<std::mutex> lock(mutex_);
  flush_();
}

void BufferedFdSink::sink_it_(const spdlog::details::log_msg& msg) {
  spdlog::memory_buf_t formatted;
  formatter_->format(msg, formatted);
  buffer_.append(formatted.data(), formatted.size());
  if (buffer_.size() >= capacity_ || msg.level >= spdlog::level::warn) flush_();
}

void BufferedFdSink::flush_() {
  size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // nowhere to log to: drop the lines rather than block or fail requests
    done += static_cast<size_t>(n);
  }
  buffer_.clear();
}

Loggers MakeLoggers(spdlog::sink_ptr sink, const std::string& level, bool access_log) {
  Loggers l;
  sink->set_formatter(std::make_unique<JsonLogFormatter>());
  l.main = std::make_shared<spdlog::logger>("tenantkv", sink);
  l.main->set_level(spdlog::level::from_str(level));
  l.access = std::make_shared<spdlog::logger>(kAccessLoggerName, sink);
  l.access->set_level(access_log ? spdlog::level::info : spdlog::level::off);
  return l;
}

}  // namespace tenantkv::server
