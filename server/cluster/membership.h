// Membership: this node's place in the cluster's etcd — its lease and its
// record under /tenantkv/nodes/<id> — and the list of the nodes.
//
// Join() grants a lease and writes the record in a transaction that
// succeeds only if no record exists (create_revision == 0): a node id held
// by a live process cannot be taken. A thread of its own then renews the
// lease every TTL/3 and rewrites the record when the node's load changed.
// When the lease is lost (etcd forgot it, or no renewal succeeded for a
// whole TTL) the node drops it and registers again under a new lease, the
// same way, as soon as etcd answers. Leave() revokes the lease, which
// deletes the record at once.
//
// lease_alive() is what fencing will rest on: true only while a renewal
// sent less than a TTL ago succeeded, measured from when it was sent, so
// it turns false no later than etcd's own expiry.
//
// Thread-safe. The renewal thread blocks on etcd calls (bounded by the
// client's timeouts), which is why it is not a job on the shared Asio
// timers: a slow etcd must not delay key rotation or usage flushes.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "crypto/mutex.h"
#include "crypto/status.h"
#include "server/cluster/etcd_client.h"

namespace tenantkv::server::cluster {

// What a node reports of its load.
struct NodeLoad {
  int64_t tenants = 0;  // live tenants
  int64_t bytes = 0;    // logical bytes stored, from the usage counters
  bool operator==(const NodeLoad& o) const { return tenants == o.tenants && bytes == o.bytes; }
};

// A node as listed: its record, and whether it is alive.
struct NodeRecord {
  std::string id;
  std::string url;         // its advertised URL
  std::string started_at;  // RFC 3339 UTC
  std::string version;     // tenantkv version
  NodeLoad load;
  // A record in etcd is held by its node's live lease, so a listed record
  // is alive; only this node itself can be listed without a record (while
  // it registers again), and then it is not.
  bool alive = false;
  int64_t lease = 0;  // the lease holding the record (0: none)
};

struct MembershipOptions {
  std::string node_id;        // a tenant-id-like name, unique in the cluster
  std::string advertise_url;  // how other nodes and clients reach this node
  int lease_ttl_sec = 10;     // 1..300; the record lapses this long after the node stops renewing
  std::string version;        // written into the record
  std::string started_at;     // RFC 3339, written into the record
};

class Membership {
 public:
  using LoadSource = std::function<NodeLoad()>;

  // Registers the node and starts renewing. AlreadyExists("node_id_taken")
  // when a live node holds the id; Unavailable("etcd_unavailable") when
  // etcd cannot be reached. `load` is called on the renewal thread and
  // must be thread-safe.
  static Result<std::unique_ptr<Membership>> Join(std::unique_ptr<EtcdClient> etcd, MembershipOptions options,
                                                  LoadSource load);
  ~Membership();  // Leave()

  // Stops renewing and revokes the lease (its record goes with it). Once;
  // later calls do nothing.
  void Leave();

  // Every node with a record, in id order, and this node as not alive if
  // it has none. Unavailable("cluster_unavailable") when etcd cannot be read.
  Result<std::vector<NodeRecord>> ListNodes();

  const std::string& node_id() const { return options_.node_id; }
  bool lease_alive() const;
  // The lease this node holds now (0 while it has none).
  int64_t lease_id() const { return lease_id_.load(); }
  // Failed etcd calls since start (renewals, registrations, listings).
  uint64_t etcd_errors() const { return etcd_errors_.load(); }
  // Registrations under a new lease after the first one.
  uint64_t reregistrations() const { return reregistrations_.load(); }

 private:
  using SteadyTime = std::chrono::steady_clock::time_point;
  Membership(std::unique_ptr<EtcdClient> etcd, MembershipOptions options, LoadSource load);
  // Grants a lease and writes the record if the id is free.
  Status Register();
  // One renewal round: keep-alive, the record's refresh, or a new registration.
  void Renew();
  void RenewalLoop();
  std::string RecordJson(const NodeLoad& load) const;
  Status Counted(Status s);

  const std::unique_ptr<EtcdClient> etcd_;
  const MembershipOptions options_;
  const LoadSource load_;
  std::atomic<int64_t> lease_id_{0};
  // When the last successful renewal (or registration) was sent, in steady
  // nanoseconds; 0 = never.
  std::atomic<int64_t> renewed_at_ns_{0};
  std::atomic<uint64_t> etcd_errors_{0};
  std::atomic<uint64_t> reregistrations_{0};
  NodeLoad reported_;  // the load in the record; renewal thread only
  int64_t record_revision_ = 0;  // the create_revision of this node's record; renewal thread only
  int64_t abandoned_lease_ = 0;  // a lease given up but not yet revoked; renewal thread only
  bool lost_logged_ = false;  // renewal thread only

  Mutex mu_;
  CondVar wake_;
  bool stopping_ GUARDED_BY(mu_) = false;
  bool left_ GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// A record's JSON as written by a node; InvalidArgument if it is not one.
Result<NodeRecord> ParseNodeRecord(const std::string& json_text);

}  // namespace tenantkv::server::cluster
