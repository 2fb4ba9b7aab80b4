#include "tools/bench/token_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string_view>

namespace tenantkv::bench {
namespace {

constexpr std::size_t kMaxTokenFileBytes = 4096;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

Result<std::string> ReadTokenFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::InvalidArgument("cannot read token file '" + path + "': " + std::strerror(errno));
  }
  std::string content(kMaxTokenFileBytes + 1, '\0');
  in.read(content.data(), static_cast<std::streamsize>(content.size()));
  if (in.bad()) return Status::InvalidArgument("cannot read token file '" + path + "'");
  content.resize(static_cast<std::size_t>(in.gcount()));
  if (content.size() > kMaxTokenFileBytes) {
    return Status::InvalidArgument("token file '" + path + "' is too large to hold a token");
  }
  std::string_view token = content;
  while (!token.empty() && IsSpace(token.front())) token.remove_prefix(1);
  while (!token.empty() && IsSpace(token.back())) token.remove_suffix(1);
  if (token.empty()) return Status::InvalidArgument("token file '" + path + "' is empty");
  for (char c : token) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      return Status::InvalidArgument("token file '" + path +
                                     "' holds whitespace or control characters; expected one line");
    }
  }
  return std::string(token);
}

Result<std::string> GivenToken(const TenantSpec& spec) {
  if (!spec.token.empty()) return spec.token;
  if (!spec.token_file.empty()) return ReadTokenFile(spec.token_file);
  return Status::InvalidArgument("tenant '" + spec.name +
                                 "' has no token= or token_file= (or pass --setup)");
}

}  // namespace tenantkv::bench
