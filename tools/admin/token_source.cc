#include "tools/admin/token_source.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string_view>

#include "tools/admin/cli_errors.h"

namespace tenantkv::tools {
namespace {

constexpr std::size_t kMaxTokenFileBytes = 4096;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string Trim(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  return std::string(text);
}

bool IsPrintableToken(std::string_view token) {
  for (char c : token) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return false;
  }
  return true;
}

Result<std::string> ReadTokenFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return UsageError("cannot read token file '" + path + "': " + std::strerror(errno));
  }
  std::string content;
  content.resize(kMaxTokenFileBytes + 1);
  in.read(content.data(), static_cast<std::streamsize>(content.size()));
  if (in.bad()) return UsageError("cannot read token file '" + path + "'");
  content.resize(static_cast<std::size_t>(in.gcount()));
  if (content.size() > kMaxTokenFileBytes) {
    return UsageError("token file '" + path + "' is too large to hold a token");
  }
  return content;
}

Result<std::string> CheckToken(std::string_view raw, const std::string& source) {
  std::string token = Trim(raw);
  if (token.empty()) return UsageError("the token in " + source + " is empty");
  if (!IsPrintableToken(token)) {
    return UsageError("the token in " + source +
                      " holds whitespace or control characters; expected one line");
  }
  return token;
}

}  // namespace

Result<std::string> LoadToken(const std::string& token_file, const char* env_token) {
  if (!token_file.empty()) {
    Result<std::string> content = ReadTokenFile(token_file);
    if (!content.ok()) return content.status();
    return CheckToken(*content, "token file '" + token_file + "'");
  }
  if (env_token != nullptr) return CheckToken(env_token, kTokenEnvVar);
  return UsageError(std::string("no token: pass --token-file FILE or set ") + kTokenEnvVar);
}

}  // namespace tenantkv::tools
