// The keys tenantkv keeps in etcd, all in one place (the whole layout, with
// the parts later steps add, is in docs/architecture.md, "Cluster mode").
// Everything lives under one root so that a cluster can share an etcd with
// other users, and so that one prefix range lists any kind.
#pragma once

#include <string>
#include <string_view>

namespace tenantkv::server::cluster {

inline constexpr std::string_view kEtcdRoot = "/tenantkv/";
// /tenantkv/nodes/<node id> -> the node's record (NodeRecord's JSON),
// attached to the node's lease so that it vanishes when the node does.
inline constexpr std::string_view kNodesPrefix = "/tenantkv/nodes/";

inline std::string NodeKey(std::string_view node_id) {
  return std::string(kNodesPrefix) + std::string(node_id);
}

// /tenantkv/tenants/<tenant id> -> the tenant's directory entry
// (tenant_directory.h: {"node","tier","epoch","state"}), no lease.
inline constexpr std::string_view kTenantsPrefix = "/tenantkv/tenants/";
// /tenantkv/apikeys/<key id> -> {"tenant": "<tenant id>"}: an API key's
// route, never a secret or a hash of one.
inline constexpr std::string_view kApiKeysPrefix = "/tenantkv/apikeys/";
// /tenantkv/tenant-apikeys/<tenant id>/<key id> -> "": the index of a
// tenant's key routes, so that they can be found and dropped with it.
inline constexpr std::string_view kTenantApiKeysPrefix = "/tenantkv/tenant-apikeys/";

// /tenantkv/operator-keys/<key id> -> a named operator key's record
// (operator_key_registry.h: {"name","created_at_ms","revoked_at_ms",
// "secret_sha256"}): the SHA-256 of its secret, never the secret. Kept
// when revoked, so that every node learns of the revocation.
inline constexpr std::string_view kOperatorKeysPrefix = "/tenantkv/operator-keys/";
// /tenantkv/operator-key-names/<name> -> the key id of the active key of
// that name: names unique among the active keys cluster-wide, and their
// count the number of active keys. Gone with the key's revocation.
inline constexpr std::string_view kOperatorKeyNamesPrefix = "/tenantkv/operator-key-names/";
// /tenantkv/operator-keys-changed -> "": written by every create and
// revocation, so that a node sees from this one key whether to read the
// records again.
inline constexpr std::string_view kOperatorKeysChangedKey = "/tenantkv/operator-keys-changed";

inline std::string OperatorKeyKey(std::string_view key_id) {
  return std::string(kOperatorKeysPrefix) + std::string(key_id);
}

inline std::string OperatorKeyNameKey(std::string_view name) {
  return std::string(kOperatorKeyNamesPrefix) + std::string(name);
}

inline std::string TenantKey(std::string_view tenant) {
  return std::string(kTenantsPrefix) + std::string(tenant);
}

inline std::string ApiKeyRouteKey(std::string_view key_id) {
  return std::string(kApiKeysPrefix) + std::string(key_id);
}

// Ends with '/', so that tenant "a"'s prefix does not cover tenant "ab"'s.
inline std::string TenantApiKeysPrefix(std::string_view tenant) {
  return std::string(kTenantApiKeysPrefix) + std::string(tenant) + "/";
}

// /tenantkv/moves/<tenant id> -> "": the index of the tenants whose entry
// holds a move between nodes (DirectoryEntry::move), written and deleted
// in the same transaction as the entry, so that a node finds the moves it
// takes part in without reading the whole directory.
inline constexpr std::string_view kMovesPrefix = "/tenantkv/moves/";

inline std::string MoveIndexKey(std::string_view tenant) { return std::string(kMovesPrefix) + std::string(tenant); }

inline std::string TenantApiKeyIndexKey(std::string_view tenant, std::string_view key_id) {
  return TenantApiKeysPrefix(tenant) + std::string(key_id);
}

}  // namespace tenantkv::server::cluster
