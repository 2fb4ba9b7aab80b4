#include "server/auth/auth.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <strings.h>
#include <fstream>
#include <sstream>

#include "crypto/random.h"

namespace tenantkv::server {
namespace {

constexpr size_t kMinTokenChars = 32;
constexpr size_t kMaxTokenChars = 512;
constexpr char kApiKeyPrefix[] = "tkv_";

bool IsTokenChar(char c) { return c > 0x20 && c < 0x7f; }

Status WriteNewTokenFile(const std::string& path) {
  TKV_ASSIGN_OR_RETURN(std::string secret, crypto::RandomHex(32));
  const std::string token = "tkvop_" + secret + "\n";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Internal("create " + path + ": " + std::strerror(errno));
  bool ok = ::write(fd, token.data(), token.size()) == static_cast<ssize_t>(token.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return Status::Internal("write " + path + " failed");
  return Status::Ok();
}

}  // namespace

std::string ActorOf(const Principal& p) {
  if (!p.is_operator) return p.key_id;
  return p.operator_name.empty() ? "operator" : "operator:" + p.operator_name;
}

Result<std::string> LoadOperatorToken(const std::string& env_token, const std::string& path,
                                      bool* from_env) {
  *from_env = !env_token.empty();
  std::string token = env_token;
  if (token.empty()) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      if (errno != ENOENT) return Status::Internal("stat " + path + ": " + std::strerror(errno));
      TKV_RETURN_IF_ERROR(WriteNewTokenFile(path));
    } else if ((st.st_mode & 077) != 0) {
      return Status::FailedPrecondition(
          "operator token file " + path + " must be readable only by its owner (chmod 600)",
          "insecure_token_file");
    }
    std::ifstream in(path);
    std::getline(in, token);
    if (!in && !in.eof()) return Status::Internal("read " + path + " failed");
  }
  if (token.size() < kMinTokenChars || token.size() > kMaxTokenChars) {
    return Status::InvalidArgument("the operator token must be 32 to 512 characters");
  }
  if (token.rfind(kApiKeyPrefix, 0) == 0) {
    return Status::InvalidArgument("the operator token must not start with 'tkv_' (the API key prefix)");
  }
  if (engine::LooksLikeOperatorKey(token)) {
    return Status::InvalidArgument("the operator token must not have the shape of a named operator key");
  }
  for (char c : token) {
    if (!IsTokenChar(c)) return Status::InvalidArgument("the operator token must be printable ASCII");
  }
  return token;
}

std::string_view BearerTokenOf(std::string_view header) {
  if (header.size() < 7 || strncasecmp(header.data(), "bearer ", 7) != 0) return {};
  std::string_view token = header.substr(7);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty() || token.size() > kMaxTokenChars) return {};
  for (char c : token) {
    if (!IsTokenChar(c)) return {};
  }
  return token;
}

Result<Principal> Authenticator::Authenticate(std::string_view header,
                                              std::shared_ptr<engine::Tenant>* refused_key_tenant) const {
  if (header.empty()) {
    return Status::Unauthenticated("send Authorization: Bearer <token>", "missing_token");
  }
  const std::string_view token = BearerTokenOf(header);
  if (token.empty()) {
    return Status::Unauthenticated("Authorization must be 'Bearer <token>'", "invalid_token");
  }
  if (token.rfind(kApiKeyPrefix, 0) == 0) {
    Principal p;
    Result<engine::ApiKeyInfo> checked = keys_->Authenticate(token, &p.key_tenant);
    if (!checked.ok()) {
      if (refused_key_tenant != nullptr) *refused_key_tenant = std::move(p.key_tenant);
      return checked.status();
    }
    engine::ApiKeyInfo& key = *checked;
    p.tenant = std::move(key.tenant);
    p.role = key.role;
    p.key_id = std::move(key.key_id);
    return p;
  }
  if (operator_keys_ != nullptr && engine::LooksLikeOperatorKey(token)) {
    bool unknown = false;
    Result<engine::OperatorKeyInfo> checked = operator_keys_->Authenticate(token, &unknown);
    if (!checked.ok()) {
      if (unknown && unknown_operator_key_) unknown_operator_key_();
      return checked.status();
    }
    const engine::OperatorKeyInfo& key = *checked;
    Principal p;
    p.is_operator = true;
    p.role = engine::Role::kAdmin;
    p.key_id = key.key_id;
    p.operator_name = key.name;
    return p;
  }
  const crypto::Sha256Digest presented = crypto::Sha256(token);
  auto view = [](const crypto::Sha256Digest& d) {
    return std::string_view(reinterpret_cast<const char*>(d.data()), d.size());
  };
  // Both compared whatever the first gives: the time does not tell which matched.
  const bool own = crypto::ConstantTimeEquals(view(presented), view(operator_digest_));
  const bool cluster = crypto::ConstantTimeEquals(view(presented), view(cluster_digest_));
  if (!(own | cluster)) {
    return Status::Unauthenticated("invalid or revoked API token", "invalid_token");
  }
  Principal p;
  p.is_operator = true;
  p.role = engine::Role::kAdmin;
  p.key_id = "operator";
  return p;
}

}  // namespace tenantkv::server
