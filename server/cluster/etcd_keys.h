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

inline std::string TenantApiKeyIndexKey(std::string_view tenant, std::string_view key_id) {
  return TenantApiKeysPrefix(tenant) + std::string(key_id);
}

}  // namespace tenantkv::server::cluster
