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

}  // namespace tenantkv::server::cluster
