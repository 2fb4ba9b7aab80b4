// Authentication: who is calling, from the Authorization header.
//
// The bootstrap operator token (global admin, the break-glass key) is held
// only as its SHA-256 digest; named operator keys ("tkvo_...") are checked
// by the engine's OperatorKeyStore and tenant API keys ("tkv_...") by its
// ApiKeyStore. Every comparison is constant-time. Tokens are never logged.
// Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "crypto/hash.h"
#include "engine/apikeys/api_keys.h"
#include "engine/apikeys/operator_keys.h"

namespace tenantkv::server {

struct Principal {
  bool is_operator = false;
  std::string tenant;  // empty for the operator
  engine::Role role = engine::Role::kRead;
  std::string key_id;  // "operator" for the bootstrap token; a named operator key's id
  std::string operator_name;  // a named operator key's name; "" otherwise
  // A tenant key's own tenant (the incarnation it was made for), live when
  // the key was checked; nullptr for the operator.
  std::shared_ptr<engine::Tenant> key_tenant;
};

// Who acted, as the audit and the quota manifests name it: "operator" for
// the bootstrap token, "operator:<name>" for a named operator key, the key
// id for a tenant's admin key.
std::string ActorOf(const Principal& p);

// Loads the operator token: from `env_token` if non-empty (32 to 512
// printable characters, not starting with "tkv_"), else from `path`, created (mode 0600) with a random token if
// missing. FailedPrecondition if the file is readable by group or others.
// *from_env tells which source was used.
Result<std::string> LoadOperatorToken(const std::string& env_token, const std::string& path,
                                      bool* from_env);

// The token of an Authorization header "Bearer <token>" (the scheme in any
// case, spaces around the token dropped), "" unless it is one: printable
// ASCII of at most 512 characters.
std::string_view BearerTokenOf(std::string_view header);

class Authenticator {
 public:
  // `operator_keys` may be nullptr: then only the bootstrap token is an operator.
  Authenticator(std::string_view operator_token, const engine::ApiKeyStore* keys,
                const engine::OperatorKeyStore* operator_keys = nullptr)
      : operator_digest_(crypto::Sha256(operator_token)), keys_(keys), operator_keys_(operator_keys) {}

  // `authorization` is the raw header value ("" when absent).
  // Unauthenticated("missing_token" | "invalid_token" | "key_expired") on
  // failure. With key_expired, `refused_key_tenant` (if given) receives the
  // key's tenant, so the refusal can be counted as that tenant's.
  Result<Principal> Authenticate(std::string_view authorization,
                                 std::shared_ptr<engine::Tenant>* refused_key_tenant = nullptr) const;

  // Cluster mode: accepts the token of this SHA-256 (the cluster's, from
  // etcd) as the bootstrap operator token too. Before serving only.
  void AcceptOperatorDigest(const crypto::Sha256Digest& digest) { cluster_digest_ = digest; }

  // Cluster mode: called (on the request's thread, so it must not block)
  // when a well-formed named operator key's id is not known here, so that
  // the keys can be read from etcd again. Before serving only.
  void OnUnknownOperatorKey(std::function<void()> hook) { unknown_operator_key_ = std::move(hook); }

 private:
  const crypto::Sha256Digest operator_digest_;
  // The cluster's operator token, when it is not this node's; else this node's again.
  crypto::Sha256Digest cluster_digest_ = operator_digest_;
  const engine::ApiKeyStore* const keys_;
  const engine::OperatorKeyStore* const operator_keys_;
  std::function<void()> unknown_operator_key_;
};

}  // namespace tenantkv::server
