// ClusterFront: what makes any node of a cluster serve any request.
//
// A request names a tenant by its token (a tenant API key: its key id) or
// by its path ({id} of an admin route). A node serves it itself when it
// holds that key or tenant; otherwise the request goes to the owner the
// tenant directory in etcd names, once (Tenantkv-Forwarded-By marks it,
// and a forwarded request is never forwarded again). Authentication,
// quotas and scheduling are the owner's alone: the forwarding node checks
// nothing, so no second admission.
//
// A forwarded request that reaches a node which does not hold its tenant
// (the forwarder's cached directory was stale) is answered 421
// "misdirected"; the forwarder then reads the directory afresh and tries
// the owner it names, if another, once more.
//
// Every answer of a cluster node names, in Tenantkv-Node, the node that
// served it: the owner, for a tenant's request.
//
// Standalone (no membership) everything here answers "serve it here".
// Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/mutex.h"
#include "crypto/status.h"
#include "engine/engine.h"
#include "server/api/operator_key_mirror.h"
#include "server/cluster/forwarder.h"
#include "server/cluster/membership.h"
#include "server/cluster/tenant_directory.h"
#include "server/http/http_message.h"

namespace tenantkv::server {

class NodeMoves;
class PlanMirror;

// Cluster mode's parts, owned by the server, outliving the Api; all
// nullptr when the node runs standalone.
struct ClusterParts {
  cluster::Membership* membership = nullptr;
  cluster::TenantDirectory* directory = nullptr;
  cluster::Forwarder* forwarder = nullptr;
  // The named operator keys shared through etcd (operator_key_mirror.h).
  OperatorKeyMirror* operator_keys = nullptr;
  // The quota plans shared through etcd (plan_mirror.h).
  PlanMirror* plans = nullptr;
};

inline constexpr char kForwardedByHeader[] = "Tenantkv-Forwarded-By";
inline constexpr char kNodeHeader[] = "Tenantkv-Node";

// Where a request is served.
struct Destination {
  enum class Kind {
    kHere,       // by this node
    kKey,        // by the owner of the tenant of API key `name`
    kTenant,     // by the owner of tenant `name`
    kMisdirected,  // forwarded here, but its key or tenant is not here: 421
  };
  Kind kind = Kind::kHere;
  std::string name;
  // kTenant: the key id of the tenant API key the request carries, if any
  // ("" for the operator's): a key of another tenant is refused before
  // the request leaves (403 forbidden), as its owner would.
  std::string key_id;
};

class ClusterFront {
 public:
  using Done = std::function<void(Status, HttpResponse)>;

  ClusterFront(engine::Engine* engine, ClusterParts parts);

  bool enabled() const { return parts_.membership != nullptr; }
  // This node's id; "local" when standalone.
  const std::string& node_id() const { return node_id_; }
  cluster::TenantDirectory* directory() const { return parts_.directory; }
  cluster::Membership* membership() const { return parts_.membership; }

  // Where `req` is served: decided from memory, without blocking.
  // `tenant_route` = the route takes a tenant key; `path_tenant` = its {id}
  // ("" when it has none).
  Destination Where(const HttpRequest& req, bool tenant_route, const std::string& path_tenant) const;

  // Off the calling thread: finds the owner of `dest` and sends `req` (its
  // body moved out) there, with `request_id`. `done` runs on a forwarder
  // thread (an I/O one for an answer: it must not block) and gets OK and the
  // owner's answer, or the refusal: Unauthenticated("invalid_token") for a
  // key no node holds, NotFound("tenant_not_found") for a tenant no node
  // holds (NotFound "not_in_directory" when no node holds either: the
  // caller answers it as a single node would, and `res.body` then holds
  // the request's body again), Unavailable("tenant_unavailable") when its owner cannot be
  // reached or is being made, Unavailable("cluster_unavailable") when the
  // directory cannot be read.
  void Forward(HttpRequest& req, Destination dest, const std::string& request_id, Done done);

  // On this thread: sends `req` with `body` to node `node` (create placed
  // elsewhere) and writes its answer into `res`.
  Status ForwardTo(const std::string& node, const HttpRequest& req, std::string body,
                   const std::string& request_id, HttpResponse& res);

  // The cluster's nodes (alive ones listed by etcd, this node too), read at
  // most once a second; the last list when etcd cannot be read.
  Result<std::vector<cluster::NodeRecord>> Nodes();

  // Where a new tenant goes: `named` if it is an alive node (else
  // InvalidArgument "unknown_node", or Unavailable "node_unavailable" when
  // it is listed but down); without a name, the alive node with the fewest
  // bytes, then the fewest tenants, then the lowest id. The loads are the
  // nodes' records, refreshed at every lease renewal.
  Result<std::string> Place(const std::optional<std::string>& named);

  // At start, before serving: makes the directory agree with the tenants
  // this node holds. A tenant of its own with no entry (made before cluster
  // mode) is claimed with its API keys routed; its entries left "creating"
  // by a crash are made active, or released when the tenant is not here;
  // an entry naming it for a tenant it no longer holds (a delete whose
  // release failed) is released. A tenant held here that the directory
  // gives to another node is logged as a conflict and left alone.
  // Unavailable("cluster_unavailable") when etcd cannot be read.
  Status Reconcile();

  // Makes a tenant here under a claim of its id (create and import): in a
  // cluster, claims `id` for this node in the directory (state "creating";
  // AlreadyExists "tenant_exists" when any node holds it, Unavailable
  // "cluster_unavailable" when etcd cannot be reached), runs `make`, then
  // marks the entry active with the tier the tenant got. A failed `make`
  // releases the claim. So an id is never held by two nodes, whichever
  // route made it. Standalone: runs `make`.
  Status MakeClaimed(const std::string& id, engine::Tier tier, const std::function<Status()>& make);

  // Moves between nodes (node_moves.h), set once before serving; nullptr
  // when standalone.
  void set_moves(NodeMoves* moves) { moves_ = moves; }
  NodeMoves* moves() const { return moves_; }

  // On this thread (never an I/O one): sends `req` to node `node` as it is
  // (an internal call of this node's own) and waits for its answer.
  // Unavailable("node_unavailable") when the node is down or did not answer.
  Result<cluster::ForwardResponse> CallNode(const std::string& node, cluster::ForwardRequest req);

  // Writes while the lease lapsed are refused: Unavailable
  // ("tenant_unavailable"). OK when standalone. With a tenant, also a
  // change of a fenced tenant: Unavailable("tenant_moving").
  Status CheckWritable() const;
  Status CheckWritable(const std::string& tenant) const;

  // Fences, set by moves between nodes (node_moves.h): what this node does
  // with a tenant it holds.
  enum class Fence {
    kNone,
    // Served, but every change refused (503 tenant_moving): the switch of
    // a move away from here.
    kFrozen,
    // Not served here at all, as if not held: a copy taken in before its
    // switch, or given away after it. Its requests go to the owner the
    // directory names (a forwarded one is answered 421).
    kAway,
  };
  void SetFence(const std::string& tenant, Fence fence);
  Fence FenceOf(const std::string& tenant) const;

  // A change of a tenant running here (a write, an admin change): fences
  // wait for it (DrainChanges). Movable; ends when destroyed.
  class ChangeTicket {
   public:
    ChangeTicket(ClusterFront* front, std::string tenant) : front_(front), tenant_(std::move(tenant)) {}
    ChangeTicket(ChangeTicket&& o) noexcept : front_(o.front_), tenant_(std::move(o.tenant_)) { o.front_ = nullptr; }
    ChangeTicket& operator=(ChangeTicket&&) = delete;
    ~ChangeTicket();

   private:
    ClusterFront* front_;
    std::string tenant_;
  };
  // CheckWritable(tenant), then counts the change as running until the
  // ticket goes. Standalone: a ticket that counts nothing.
  Result<ChangeTicket> BeginChange(const std::string& tenant);
  // After a fence is set: waits until no change of `tenant` begun before
  // it runs, at most `timeout`. False when some still run.
  bool DrainChanges(const std::string& tenant, std::chrono::milliseconds timeout);

 private:
  // The owner's URL for `dest`, resolved through the directory; *owner is
  // the node the directory names, also when the answer is a refusal.
  struct Target {
    std::string node;
    cluster::HttpEndpoint endpoint;
    std::string tenant;
  };
  Result<Target> Resolve(const Destination& dest, bool fresh, std::string* owner);
  struct Forwarding;
  // The owner of `dest` from the directory's cache and the node list alone,
  // when both are fresh and name another node; else nothing (the slow
  // path, which may read etcd, decides).
  std::optional<Target> ResolveFromMemory(const Destination& dest);
  void ResolveAndSend(std::shared_ptr<Forwarding> fw, bool fresh);
  void SendTo(std::shared_ptr<Forwarding> fw, Target target);
  static void Refuse(Forwarding& fw, const Status& s);
  Result<cluster::HttpEndpoint> EndpointOf(const std::string& node);
  cluster::ForwardRequest ToForward(const HttpRequest& req, std::string body, const std::string& request_id) const;

  // Whether this node serves `tenant` itself: it holds it and no fence
  // sends it away.
  bool ServesTenant(const std::string& tenant) const;
  bool ServesKey(std::string_view key_id) const;

  engine::Engine* const engine_;
  const ClusterParts parts_;
  NodeMoves* moves_ = nullptr;
  const std::string node_id_;
  // Fences and changes running, by tenant (an entry only while either is
  // set), in shards so that writes of different tenants rarely meet.
  struct FenceSlot {
    Fence fence = Fence::kNone;
    int64_t changes = 0;
  };
  struct FenceShard {
    mutable Mutex mu;
    CondVar drained;
    std::map<std::string, FenceSlot> slots GUARDED_BY(mu);
  };
  static constexpr size_t kFenceShards = 32;
  FenceShard& ShardOf(const std::string& tenant) const;
  mutable std::array<FenceShard, kFenceShards> fence_shards_;
  std::atomic<int64_t> fences_set_{0};  // fences of any tenant: 0 = Where needs no lookup
  Mutex mu_;
  // Reads the node list from etcd when it is older than a second.
  Status RefreshNodes();
  std::vector<cluster::NodeRecord> nodes_ GUARDED_BY(mu_);
  std::map<std::string, cluster::HttpEndpoint> endpoints_ GUARDED_BY(mu_);  // the alive nodes'
  int64_t nodes_read_ms_ GUARDED_BY(mu_) = 0;
  bool nodes_refreshing_ GUARDED_BY(mu_) = false;
};

}  // namespace tenantkv::server
