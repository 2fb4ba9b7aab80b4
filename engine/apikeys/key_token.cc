#include "engine/apikeys/key_token.h"

#include <algorithm>

#include "crypto/hash.h"

namespace tenantkv::engine::key_token {
namespace {

bool IsLowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

bool HasShape(std::string_view token, std::string_view prefix) {
  return token.size() == prefix.size() + kIdHex + 1 + kSecretHex && token.substr(0, prefix.size()) == prefix &&
         token[prefix.size() + kIdHex] == '_' && IsLowerHex(IdOf(token, prefix)) &&
         IsLowerHex(SecretOf(token, prefix));
}

std::string SecretDigest(std::string_view secret) {
  const auto d = crypto::Sha256(secret);
  return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

}  // namespace tenantkv::engine::key_token
