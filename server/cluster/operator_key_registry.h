// OperatorKeyRegistry: the cluster's named operator keys, kept in etcd.
//
// etcd layout (etcd_keys.h; docs/architecture.md, "Cluster mode"):
//   /tenantkv/operator-keys/<key id>       -> {"name","created_at_ms",
//                                             "revoked_at_ms","secret_sha256"}
//   /tenantkv/operator-key-names/<name>    -> <key id> (active keys only)
//   /tenantkv/operator-keys-changed        -> "" (rewritten by every change)
// Never a secret: a record holds the SHA-256 of the key's secret (hex).
// A revoked key's record stays, revoked, so that every node learns of it.
//
// Every change is one guarded transaction: a create succeeds only if
// neither its id nor its name is held (create_revision == 0), a revocation
// only if the record is still as read. Every change also rewrites the
// change mark, so that a node polling the mark reads the records again
// only when they changed. It knows nothing of the engine: the node's
// mirror (server/api/operator_key_mirror.h) applies what it reads.
// Thread-safe (as EtcdClient).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "crypto/status.h"
#include "server/cluster/etcd_client.h"

namespace tenantkv::server::cluster {

struct ClusterOperatorKey {
  std::string key_id;  // 16 lowercase hex
  std::string name;
  int64_t created_at_ms = 0;
  int64_t revoked_at_ms = 0;  // 0 = active
  std::string secret_sha256;  // raw, 32 bytes
  int64_t mod_revision = 0;   // etcd's, as read
  bool revoked() const { return revoked_at_ms != 0; }
};

// The records as read, at most `max_records`.
struct OperatorKeyListing {
  std::vector<ClusterOperatorKey> keys;  // in key id order; malformed ones left out (with a warning)
  bool complete = true;                  // false: more records than the bound
};

class OperatorKeyRegistry {
 public:
  // Records read at most by one List (pages of 1000).
  static constexpr int64_t kMaxRecords = 10000;

  // `etcd` must outlive the registry.
  explicit OperatorKeyRegistry(EtcdClient* etcd) : etcd_(etcd) {}

  // Writes `key` (active) with its name's entry, if neither its id nor
  // its name is held and fewer than `max_active` names are (counted just
  // before: creates racing on several nodes may each pass that count, so
  // the cluster may hold up to one more key per node creating at that
  // moment). AlreadyExists("operator_exists") when an active key has the
  // name, ("operator_key_limit") past the cap, ("key_id_taken") when the
  // id is held; Unavailable("cluster_unavailable") when etcd cannot be
  // reached (the create may then have been applied or not).
  Status Create(const ClusterOperatorKey& key, size_t max_active);

  // Publishes a key made before this node joined: as Create, but a revoked
  // key is written too (without a name entry), and no cap. The same
  // refusals; OK when etcd already holds this very key (same id and hash).
  Status Publish(const ClusterOperatorKey& key);

  // Marks the key revoked at `revoked_at_ms` (if it is not already) and
  // drops its name's entry: the record as it is now in etcd. nullopt when
  // etcd has no record of `key_id`. Unavailable("cluster_unavailable").
  Result<std::optional<ClusterOperatorKey>> Revoke(const std::string& key_id, int64_t revoked_at_ms);

  // The record of `key_id`, nullopt when none (or malformed: DataLoss).
  Result<std::optional<ClusterOperatorKey>> Get(const std::string& key_id);

  // Every record, read in pages, at most kMaxRecords.
  Result<OperatorKeyListing> List();

  // The change mark's mod_revision (0 when there is none yet).
  Result<int64_t> ChangeMark();

 private:
  Status Unreachable(const Status& s);
  EtcdClient* const etcd_;
};

// A record's JSON as stored (the id and mod_revision come from the key),
// and back. InvalidArgument when it is not one.
std::string OperatorKeyRecordJson(const ClusterOperatorKey& key);
Result<ClusterOperatorKey> ParseOperatorKeyRecord(const std::string& key_id, const std::string& json_text);

}  // namespace tenantkv::server::cluster
