// The small shared parts of a move between nodes (node_moves.h): clocks,
// the mover's bearer secret, the agreement's context, and the internal
// routes' answers turned back into a Status.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "crypto/hash.h"
#include "crypto/status.h"
#include "server/cluster/forwarder.h"

namespace tenantkv::server::move_wire {

// "Authorization: Bearer tkvm_<64 lowercase hex>": the mover's secret.
inline constexpr std::string_view kBearerPrefix = "Bearer tkvm_";
inline constexpr size_t kSecretBytes = 32;
inline constexpr size_t kSecretHexChars = 2 * kSecretBytes;

inline int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

inline int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline std::string Sha256Hex(std::string_view data) {
  const crypto::Sha256Digest d = crypto::Sha256(data);
  return crypto::HexEncode(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

// The SHA-256 (hex) of the secret an Authorization header carries, as the
// directory entry keeps it; "" when the header is not of that form.
inline std::string SecretDigestOf(std::string_view authorization) {
  if (authorization.substr(0, kBearerPrefix.size()) != kBearerPrefix) return "";
  const std::string_view secret = authorization.substr(kBearerPrefix.size());
  if (secret.size() != kSecretHexChars) return "";
  for (char c : secret) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return "";
  }
  return Sha256Hex(secret);
}

// What both parties bind the agreed transfer key to: this move alone.
inline std::string Context(const std::string& tenant, const std::string& to, const std::string& secret_sha256) {
  std::string c = "tenantkv-move/1";
  for (const std::string* part : {&tenant, &to, &secret_sha256}) {
    c.push_back('\0');
    c += *part;
  }
  return c;
}

// OK for a 2xx answer; else the problem's code, with a Status code after
// the HTTP status.
inline Status StatusOf(const cluster::ForwardResponse& r) {
  if (r.status >= 200 && r.status < 300) return Status::Ok();
  const nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
  std::string reason = "bad_gateway";
  std::string detail = "HTTP " + std::to_string(r.status);
  if (j.is_object()) {
    if (j.contains("code") && j["code"].is_string()) reason = j["code"].get<std::string>();
    if (j.contains("detail") && j["detail"].is_string()) detail = j["detail"].get<std::string>();
  }
  switch (r.status) {
    case 400: return Status::InvalidArgument(detail, reason);
    case 401:
    case 403: return Status::PermissionDenied(detail, reason);
    case 404: return Status::NotFound(detail, reason);
    case 409: return Status::AlreadyExists(detail, reason);
    case 412: return Status::FailedPrecondition(detail, reason);
    case 503: return Status::Unavailable(detail, reason);
    default: return Status::Internal(detail, reason);
  }
}

}  // namespace tenantkv::server::move_wire
