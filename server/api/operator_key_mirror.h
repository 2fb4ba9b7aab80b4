// OperatorKeyMirror: cluster mode's named operator keys — etcd holds them
// (cluster/operator_key_registry.h), and this node's OperatorKeyStore is
// its mirror of them, so that authentication stays a memory lookup.
//
// - Create and Revoke write etcd first (guarded transactions), then the
//   local store: etcd out of reach is Unavailable("cluster_unavailable")
//   with nothing changed here. A revocation holds on this node at once.
// - A thread of its own reads the change mark every `refresh_ms` (one
//   small etcd read) and all the records when it moved, or every
//   `full_read_ms` in any case; what changed is written to the local store
//   (so a restarted node knows the keys before its first read). Other
//   nodes thus see a new key, or a revocation, within about `refresh_ms`.
//   A revocation is never undone by what etcd says.
// - Poke asks for a refresh now (an unknown but well-formed key was
//   presented): at most one every `poke_gap_ms`, whatever the number of
//   pokes, so a flood of made-up key ids costs no more etcd reads.
// - Reconcile, at start: keys this node made before it joined are
//   published; one whose id or active name the cluster already holds is
//   kept local_only (accepted on this node alone) and logged.
// Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "crypto/mutex.h"
#include "crypto/status.h"
#include "engine/apikeys/operator_keys.h"
#include "engine/clock.h"
#include "server/cluster/operator_key_registry.h"

namespace tenantkv::server {

struct OperatorKeyMirrorOptions {
  int refresh_ms = 1000;    // how often the change mark is read
  int full_read_ms = 30000;  // the records are read at least this often
  int poke_gap_ms = 250;    // a poke's refresh at most this often
};

class OperatorKeyMirror {
 public:
  // `etcd`, `store` and `clock` must outlive the mirror.
  OperatorKeyMirror(cluster::EtcdClient* etcd, engine::OperatorKeyStore* store, const engine::Clock* clock,
                    OperatorKeyMirrorOptions options = {});
  ~OperatorKeyMirror();  // Stop()

  // At start, before serving (see above), then a first full refresh.
  // Unavailable("cluster_unavailable") when etcd cannot be reached.
  Status Reconcile();
  // The refresh thread; Stop() ends it (an etcd call in flight finishes,
  // bounded by the client's timeout). Both idempotent.
  void Start();
  void Stop();
  // See above. Never blocks on etcd; cheap enough for the request path.
  void Poke();

  // One refresh now: the records read when the change mark moved since the
  // last read, or in any case with `full`.
  Status Refresh(bool full = false);

  // As OperatorKeyStore::Create, against the whole cluster (the cap is
  // counted cluster-wide: operator_key_registry.h says how exactly).
  Result<engine::NewOperatorKey> Create(const std::string& name);
  // As OperatorKeyStore::Revoke, cluster-wide; a local_only key is revoked here.
  Status Revoke(const std::string& key_id);
  // The keys this node knows (the cluster's, and its local_only ones),
  // after a refresh if etcd answers; the mirror as it is otherwise.
  std::vector<engine::OperatorKeyInfo> List();

  // Refreshes done and failed since start (for tests and logs).
  uint64_t refreshes() const { return refreshes_.load(); }
  uint64_t failed_refreshes() const { return failed_refreshes_.load(); }

 private:
  // Writes etcd's records into the store; how many changed it.
  size_t Apply(const std::vector<cluster::ClusterOperatorKey>& keys);
  void Loop();

  cluster::OperatorKeyRegistry registry_;
  engine::OperatorKeyStore* const store_;
  const engine::Clock* const clock_;
  const OperatorKeyMirrorOptions options_;
  Mutex create_mu_;   // one create or revocation at a time on this node
  Mutex refresh_mu_;  // one refresh at a time
  int64_t seen_mark_ GUARDED_BY(refresh_mu_) = -1;  // the change mark of the last read records; -1 = none yet
  std::chrono::steady_clock::time_point last_full_ GUARDED_BY(refresh_mu_);  // the last read of the records
  bool failing_ GUARDED_BY(refresh_mu_) = false;  // logged once per outage
  std::atomic<int64_t> last_poke_ns_{0};
  std::atomic<uint64_t> refreshes_{0};
  std::atomic<uint64_t> failed_refreshes_{0};
  Mutex mu_;
  CondVar wake_;
  bool stopping_ GUARDED_BY(mu_) = false;
  bool poked_ GUARDED_BY(mu_) = false;
  std::thread thread_;  // Start/Stop only (not concurrently)
};

}  // namespace tenantkv::server
