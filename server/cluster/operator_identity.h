// The cluster's operator token, shared through etcd as its SHA-256 only.
//
// The first node to join a cluster publishes the digest of its bootstrap
// operator token under /tenantkv/operator/bootstrap (in a transaction that
// succeeds only if none is there); every node that joins later reads it
// and accepts that token as well as its own. So one operator token works
// on every node, and an admin call passed on to another node is accepted
// there. The digest of a 32-byte-or-longer random token reveals nothing
// usable; the token itself never leaves the node.
#pragma once

#include <string>
#include <string_view>

#include "crypto/status.h"
#include "server/cluster/etcd_client.h"

namespace tenantkv::server::cluster {

inline constexpr std::string_view kOperatorDigestKey = "/tenantkv/operator/bootstrap";

// Publishes `digest_hex` (64 lowercase hex) if the cluster has none, and
// returns the cluster's digest (this one, or the one already there).
// Unavailable("cluster_unavailable") when etcd cannot be reached;
// DataLoss("bad_operator_digest") when the stored value is not 64 hex.
Result<std::string> ShareOperatorDigest(EtcdClient& etcd, const std::string& digest_hex);

}  // namespace tenantkv::server::cluster
