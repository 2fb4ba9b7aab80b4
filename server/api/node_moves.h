// NodeMoves: online moves of a tenant between the nodes of a cluster, the
// server's half (the engine's half is engine/backup/tenant_transfer.h).
//
// The parties: the source (the tenant's owner), the target (the node it
// goes to), which is also the mover: it pulls everything from the source
// over the internal routes (node_move_api.cc) and drives every step. The
// directory entry in etcd records the move (DirectoryEntry::move) and
// decides its outcome: whichever guarded transaction on the entry wins,
// the target's switch or a rollback, is what happened.
//
//   POST /admin/v1/tenants/{id}/move on the source (forwarded there):
//   1. source: records move {to, from, "requested"} in the entry (guarded),
//      tells the target (POST /internal/v1/moves/{id}), answers 202.
//   2. target: a fresh X25519 pair and a 32-byte bearer secret; records
//      their public key and SHA-256 in the move ("copying", guarded).
//   3. target -> source, each call with the secret as bearer: begin (the
//      source checks the secret and the public key against the entry it
//      reads afresh, begins the engine transfer, answers its own public
//      key: both derive the transfer key, which never travels), records,
//      the snapshot's pages, deltas while they shrink (a rescan when one
//      overflows). The target stages the tenant hidden and applies pages.
//   4. target -> source: freeze. The source fences the tenant (every change
//      503 tenant_moving, reads still served), waits for the changes
//      running, freezes the engine's writes. The target takes the last
//      deltas, the final records and the counters, fences its copy away
//      (not served) and commits it (one synced batch).
//   5. target: the switch, one guarded transaction: owner = target, epoch
//      + 1, move gone, moved_from = source. It lifts its fence and serves.
//   6. target -> source: finish. The source reads the entry afresh, fences
//      its copy away (requests go to the owner; forwarded ones get 421),
//      ends the transfer, and deletes its copy after the grace period.
//
// Crashes (kill -9 of either node, at any step; the mover is the target):
// - before the switch, the move rolls back: a restarted source clears the
//   move from the entry at start (its transfer died with it) and serves
//   on; a restarted target clears it too and drops its copy (a staged one
//   goes by itself at start; a committed one is deleted). A source whose
//   mover falls silent for `mover_silence` clears the move itself and
//   unfreezes. A cleared move makes the target's switch fail (the entry
//   changed), and the target then drops its copy.
// - after the switch, it rolls forward: the target serves; the source,
//   restarted or not, learns from the entry (finish, its watchdog, or its
//   start) and gives its copy away.
// So no acknowledged write is lost (the source keeps accepting writes only
// until it is frozen, and the target took everything written before), and
// two nodes never accept writes for one tenant: the source is frozen from
// before the switch until it learns the outcome from etcd, and a target's
// copy is fenced away until its switch won. While etcd cannot be read the
// source stays frozen (reads go on).
//
// Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>

#include "crypto/mutex.h"
#include "crypto/secret_bytes.h"
#include "crypto/status.h"
#include "engine/engine.h"
#include "server/api/cluster_front.h"

namespace tenantkv::server {

struct NodeMovesOptions {
  size_t max_incoming = 2;  // moves to this node running at once
  // A source whose mover makes no call for this long (a dead or cut-off
  // target) rolls the move back; a move recorded that no party runs is
  // cleared after it too.
  std::chrono::milliseconds mover_silence{std::chrono::seconds(20)};
  // A copy given away is deleted this long after the switch (requests
  // already on their way still find it fenced and go on to the owner).
  std::chrono::milliseconds grace{std::chrono::seconds(30)};
  std::chrono::milliseconds tick{std::chrono::milliseconds(250)};
  size_t page_entries = 2000;      // entries per snapshot page pulled
  size_t page_bytes = 4 << 20;     // bytes per page, about
  size_t delta_items = 5000;       // keys per delta page
  // Catch-up ends (and the switch begins) once a delta holds at most this
  // many keys, or after max_catchup_rounds.
  size_t switch_delta_keys = 2000;
  int max_catchup_rounds = 30;
};

class NodeMoves {
 public:
  using json = nlohmann::json;

  // Cluster mode only: `cluster` enabled, both outliving this.
  NodeMoves(engine::Engine* engine, ClusterFront* cluster, NodeMovesOptions options = {});
  // Stop().
  ~NodeMoves();
  NodeMoves(const NodeMoves&) = delete;
  NodeMoves& operator=(const NodeMoves&) = delete;

  // At start, before serving (ClusterFront::Reconcile calls it for each
  // entry of the directory): settles what a crash left of moves this node
  // took part in. `held`: this node holds the tenant (live).
  Status SettleAtStart(const cluster::DirectoryEntry& entry, bool held);
  // Starts the supervisor (watchdogs, moves to pick up, deletions).
  void Start();
  // Stops the supervisor and the movers (their moves roll back).
  void Stop();

  // --- the owner (source) ---
  // Records a move of `tenant` (held here) to node `to` and tells the
  // target. False (nothing started) when `to` is this node.
  // NotFound("tenant_not_found"), InvalidArgument("unknown_node"),
  // Unavailable("node_unavailable"), AlreadyExists("move_in_progress"),
  // AlreadyExists("tier_not_movable") for a dedicated tenant,
  // Unavailable("too_many_moves"), Unavailable("cluster_unavailable").
  Result<bool> Request(const std::string& tenant, const std::string& to);
  // Whether a move of `tenant` runs with this node as a party.
  bool Busy(const std::string& tenant) const;
  // The tenant JSON's "node_move" ({"to","state","copied_keys"}, "error"
  // when failed), nullopt when this node knows of no move of it.
  std::optional<json> StatusJson(const std::string& tenant) const;

  // The internal routes' calls on the source; `authorization` is the
  // request's Authorization header (the mover's secret). An unknown
  // transfer and a wrong secret are both NotFound("transfer_not_found").
  struct Begun {
    std::string transfer;
    std::string public_key;  // raw 32 bytes
  };
  Result<Begun> BeginOut(const std::string& tenant, const std::string& target_public,
                         std::string_view authorization);
  Result<std::string> Records(const std::string& transfer, std::string_view authorization);
  Result<std::string> Entries(const std::string& transfer, std::string_view authorization,
                              const std::string& after, size_t limit);
  Result<std::string> Delta(const std::string& transfer, std::string_view authorization, size_t limit);
  Status Rescan(const std::string& transfer, std::string_view authorization);
  Status Freeze(const std::string& transfer, std::string_view authorization);
  Result<std::string> Counters(const std::string& transfer, std::string_view authorization);
  // The mover says it switched (finish) or gave up (abandon); either way
  // the source decides from the entry it reads afresh.
  Status Settle(const std::string& transfer, std::string_view authorization);

  // --- the target ---
  // The source says a move of `tenant` here was recorded: starts the mover
  // if the entry says so. FailedPrecondition("no_move") when it does not,
  // Unavailable("too_many_moves").
  Status Take(const std::string& tenant);

 private:
  struct Outgoing;
  struct Incoming;
  struct Progress {
    std::string to;
    std::string state;  // requested, copying, catching_up, switching, done, failed
    int64_t copied_keys = 0;
    std::string error;
    int64_t updated_ms = 0;
  };

  // Source.
  Result<std::shared_ptr<Outgoing>> FindOut(const std::string& transfer, std::string_view authorization);
  // Settles an outgoing move from the entry read afresh: given away,
  // rolled back, or (still ours) left running; `silent` = its mover made
  // no call for mover_silence: roll it back.
  void ResolveOut(const std::shared_ptr<Outgoing>& o, bool silent);
  void EndOut(const std::shared_ptr<Outgoing>& o, bool given_away, const std::string& error);
  // Fences the copy away and deletes it after the grace period.
  void GiveAway(const std::string& tenant);

  // Target: the mover's thread.
  void RunMover(std::shared_ptr<Incoming> in);
  Status Move(Incoming& in);
  void Undo(Incoming& in, const Status& why);
  static bool MoverDone(const Incoming& in);
  // Its switch won: the tenant is this node's, only the source's settle is left.
  static bool MoverSwitched(const Incoming& in);
  static void JoinMover(Incoming& in);
  // Copies taken in whose switch's outcome was not known (etcd out of
  // reach): served once the entry names this node, else deleted.
  void ResolveDoubts();
  int64_t Copied(const std::string& tenant) const;

  // Both.
  void SetProgress(const std::string& tenant, const std::string& to, const std::string& state,
                   int64_t copied, const std::string& error = "");
  // Clears `entry`'s move if the entry is still as read;
  // FailedPrecondition("directory_changed") when it is not.
  Status ClearMove(const cluster::DirectoryEntry& entry);
  void Supervise();
  void ScanMoves();
  void DeleteGivenAway();
  void SettleRequested();
  // Deletes a copy given away (or never switched in) and lifts its fence.
  Status DeleteCopy(const std::string& tenant);

  engine::Engine* const engine_;
  ClusterFront* const cluster_;
  const NodeMovesOptions options_;

  mutable Mutex mu_;
  CondVar wake_;
  bool stopping_ GUARDED_BY(mu_) = false;
  bool started_ GUARDED_BY(mu_) = false;
  std::thread supervisor_;
  std::map<std::string, std::shared_ptr<Outgoing>> outgoing_ GUARDED_BY(mu_);  // by transfer id
  std::map<std::string, std::shared_ptr<Incoming>> incoming_ GUARDED_BY(mu_);  // by tenant
  std::map<std::string, Progress> progress_ GUARDED_BY(mu_);                  // by tenant
  std::map<std::string, int64_t> given_away_ GUARDED_BY(mu_);  // tenant -> delete at (steady ms)
  std::map<std::string, int64_t> orphans_ GUARDED_BY(mu_);     // tenant -> first seen run by nobody (steady ms)
  std::set<std::string> doubts_ GUARDED_BY(mu_);
};

}  // namespace tenantkv::server
