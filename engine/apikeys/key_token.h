// The token shape API keys and operator keys share:
// "<prefix><16 lowercase hex id>_<64 lowercase hex secret>", and the digest
// of a secret that is all the stores keep of it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tenantkv::engine::key_token {

inline constexpr size_t kIdHex = 16;
inline constexpr size_t kSecretHex = 64;

// True if `token` is `prefix` followed by the id and the secret as above.
bool HasShape(std::string_view token, std::string_view prefix);
// The id and the secret of a token HasShape accepted.
inline std::string_view IdOf(std::string_view token, std::string_view prefix) {
  return token.substr(prefix.size(), kIdHex);
}
inline std::string_view SecretOf(std::string_view token, std::string_view prefix) {
  return token.substr(prefix.size() + kIdHex + 1);
}
// The raw SHA-256 of a secret (32 bytes).
std::string SecretDigest(std::string_view secret);

}  // namespace tenantkv::engine::key_token
