#include "server/api/cluster_front.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <tuple>
#include <utility>

#include "server/auth/auth.h"
#include "server/http/io_thread.h"

namespace tenantkv::server {
namespace {

constexpr char kStandaloneNodeId[] = "local";
// How long a listing of the nodes is used before etcd is read again.
constexpr int64_t kNodesTtlMs = 1000;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Status OwnerUnavailable(const std::string& tenant, const std::string& why) {
  return Status::Unavailable("tenant '" + tenant + "' is not available: " + why, "tenant_unavailable");
}

}  // namespace

ClusterFront::ClusterFront(engine::Engine* engine, ClusterParts parts)
    : engine_(engine),
      parts_(parts),
      node_id_(parts.membership != nullptr ? parts.membership->node_id() : std::string(kStandaloneNodeId)) {}

ClusterFront::FenceShard& ClusterFront::ShardOf(const std::string& tenant) const {
  return fence_shards_[std::hash<std::string>()(tenant) % kFenceShards];
}

ClusterFront::Fence ClusterFront::FenceOf(const std::string& tenant) const {
  if (fences_set_.load(std::memory_order_acquire) == 0) return Fence::kNone;
  FenceShard& shard = ShardOf(tenant);
  MutexLock lock(shard.mu);
  auto it = shard.slots.find(tenant);
  return it == shard.slots.end() ? Fence::kNone : it->second.fence;
}

void ClusterFront::SetFence(const std::string& tenant, Fence fence) {
  FenceShard& shard = ShardOf(tenant);
  {
    MutexLock lock(shard.mu);
    FenceSlot& slot = shard.slots[tenant];
    const bool was = slot.fence != Fence::kNone;
    const bool is = fence != Fence::kNone;
    slot.fence = fence;
    if (is && !was) fences_set_.fetch_add(1, std::memory_order_acq_rel);
    if (was && !is) fences_set_.fetch_sub(1, std::memory_order_acq_rel);
    if (!is && slot.changes == 0) shard.slots.erase(tenant);
  }
  // Whatever this node cached of the tenant's place is stale now.
  if (enabled()) parts_.directory->Forget(tenant);
}

ClusterFront::ChangeTicket::~ChangeTicket() {
  if (front_ == nullptr) return;
  FenceShard& shard = front_->ShardOf(tenant_);
  MutexLock lock(shard.mu);
  auto it = shard.slots.find(tenant_);
  if (it == shard.slots.end()) return;
  if (--it->second.changes == 0) {
    if (it->second.fence == Fence::kNone) shard.slots.erase(it);
    shard.drained.SignalAll();
  }
}

Result<ClusterFront::ChangeTicket> ClusterFront::BeginChange(const std::string& tenant) {
  if (!enabled()) return ChangeTicket(nullptr, std::string());
  TKV_RETURN_IF_ERROR(CheckWritable());
  FenceShard& shard = ShardOf(tenant);
  MutexLock lock(shard.mu);
  FenceSlot& slot = shard.slots[tenant];  // made here if new: counted below
  if (slot.fence != Fence::kNone) {
    return Status::Unavailable("tenant '" + tenant + "' is moving between nodes; retry shortly", "tenant_moving");
  }
  ++slot.changes;
  return ChangeTicket(this, tenant);
}

bool ClusterFront::DrainChanges(const std::string& tenant, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  FenceShard& shard = ShardOf(tenant);
  MutexLock lock(shard.mu);
  for (;;) {
    auto it = shard.slots.find(tenant);
    if (it == shard.slots.end() || it->second.changes == 0) return true;
    if (!shard.drained.WaitUntil(shard.mu, deadline)) {
      it = shard.slots.find(tenant);
      return it == shard.slots.end() || it->second.changes == 0;
    }
  }
}

bool ClusterFront::ServesTenant(const std::string& tenant) const {
  if (!engine_->tenants().Get(tenant).ok() && !engine_->tenants().PendingDelete(tenant).ok()) return false;
  return FenceOf(tenant) != Fence::kAway;
}

bool ClusterFront::ServesKey(std::string_view key_id) const {
  if (fences_set_.load(std::memory_order_acquire) == 0) return engine_->api_keys().Holds(key_id);
  const std::string tenant = engine_->api_keys().TenantOfKey(key_id);
  return !tenant.empty() && FenceOf(tenant) != Fence::kAway;
}

Destination ClusterFront::Where(const HttpRequest& req, bool tenant_route, const std::string& path_tenant) const {
  Destination d;
  if (!enabled()) return d;
  const bool forwarded = req.HasHeader(kForwardedByHeader);
  const std::string_view key_id = engine::ApiKeyStore::KeyIdOfToken(BearerTokenOf(req.Header("Authorization")));
  if (!path_tenant.empty()) {
    if (ServesTenant(path_tenant)) return d;
    // A key this node serves is of a tenant here, so not of the tenant
    // named: refused here (403), as its owner would.
    if (!key_id.empty() && ServesKey(key_id)) return d;
    d.kind = forwarded ? Destination::Kind::kMisdirected : Destination::Kind::kTenant;
    d.name = path_tenant;
    d.key_id = std::string(key_id);
    return d;
  }
  if (!tenant_route) return d;
  // No key id (no token, the operator's, a garbled one): refused here, as
  // on a single node.
  if (key_id.empty() || ServesKey(key_id)) return d;
  d.kind = forwarded ? Destination::Kind::kMisdirected : Destination::Kind::kKey;
  d.name = std::string(key_id);
  return d;
}

Status ClusterFront::RefreshNodes() {
  const int64_t now = NowMs();
  {
    MutexLock lock(mu_);
    if (nodes_read_ms_ != 0 && now - nodes_read_ms_ < kNodesTtlMs) return Status::Ok();
    // One reader at a time goes to etcd; the others use the list they have.
    if (nodes_refreshing_ && nodes_read_ms_ != 0) return Status::Ok();
    nodes_refreshing_ = true;
  }
  Result<std::vector<cluster::NodeRecord>> listed = parts_.membership->ListNodes();
  MutexLock lock(mu_);
  nodes_refreshing_ = false;
  if (!listed.ok()) {
    if (nodes_read_ms_ == 0) return listed.status();
    // etcd out of reach: the last list, and etcd asked again in a second
    // (docs/operations.md, degraded modes).
    nodes_read_ms_ = now;
    return Status::Ok();
  }
  nodes_ = std::move(listed).value();
  endpoints_.clear();
  for (const auto& n : nodes_) {
    if (!n.alive || n.url.empty()) continue;
    if (auto e = cluster::ParseHttpEndpoint(n.url); e.ok()) endpoints_.emplace(n.id, std::move(e).value());
  }
  nodes_read_ms_ = now;
  return Status::Ok();
}

Result<std::vector<cluster::NodeRecord>> ClusterFront::Nodes() {
  TKV_RETURN_IF_ERROR(RefreshNodes());
  MutexLock lock(mu_);
  return nodes_;
}

Result<cluster::HttpEndpoint> ClusterFront::EndpointOf(const std::string& node) {
  TKV_RETURN_IF_ERROR(RefreshNodes());
  MutexLock lock(mu_);
  auto it = endpoints_.find(node);
  if (it == endpoints_.end()) return Status::Unavailable("node '" + node + "' is not alive", "node_down");
  return it->second;
}

Result<ClusterFront::Target> ClusterFront::Resolve(const Destination& dest, bool fresh, std::string* owner) {
  cluster::TenantDirectory& dir = *parts_.directory;
  Target t;
  if (dest.kind == Destination::Kind::kKey) {
    TKV_ASSIGN_OR_RETURN(std::optional<std::string> tenant, dir.LookupKey(dest.name, fresh));
    if (!tenant) return Status::NotFound("no node holds this key", "not_in_directory");
    t.tenant = std::move(*tenant);
  } else {
    t.tenant = dest.name;
    if (!dest.key_id.empty()) {
      TKV_ASSIGN_OR_RETURN(std::optional<std::string> key_tenant, dir.LookupKey(dest.key_id, fresh));
      if (key_tenant && *key_tenant != t.tenant) {
        return Status::PermissionDenied("an API key of another tenant may not act on this one", "forbidden");
      }
    }
  }
  TKV_ASSIGN_OR_RETURN(std::optional<cluster::DirectoryEntry> entry, dir.Lookup(t.tenant, fresh));
  if (!entry) return Status::NotFound("no node holds this tenant", "not_in_directory");
  t.node = entry->node;
  *owner = entry->node;
  if (entry->state != "active") return OwnerUnavailable(t.tenant, "it is being created");
  if (entry->node == node_id_) {
    // The directory names this node, which does not hold it: a create or
    // a key in flight here. Read afresh once; else soon served.
    if (!fresh) return Resolve(dest, true, owner);
    return OwnerUnavailable(t.tenant, "it is being set up on this node");
  }
  Result<cluster::HttpEndpoint> endpoint = EndpointOf(entry->node);
  if (!endpoint.ok()) return OwnerUnavailable(t.tenant, "its node '" + entry->node + "' is down");
  t.endpoint = std::move(endpoint).value();
  return t;
}

cluster::ForwardRequest ClusterFront::ToForward(const HttpRequest& req, std::string body,
                                                const std::string& request_id) const {
  cluster::ForwardRequest f;
  f.method = req.method;
  f.target = req.target;
  f.headers.reserve(req.headers.size() + 2);
  for (const auto& [name, value] : req.headers) {
    if (HeaderNameEquals(name, "X-Request-Id") || HeaderNameEquals(name, kForwardedByHeader)) continue;
    f.headers.emplace_back(name, value);
  }
  f.headers.emplace_back("X-Request-Id", request_id);
  f.headers.emplace_back(kForwardedByHeader, node_id_);
  f.body = std::move(body);
  return f;
}

namespace {

HttpResponse FromForward(cluster::ForwardResponse r) {
  HttpResponse res;
  res.status = r.status;
  for (auto& [name, value] : r.headers) res.SetHeader(name, std::move(value));
  res.body = std::move(r.body);
  return res;
}

// A forward that failed, as the client sees it.
Status ForwardFailure(const Status& s, const std::string& tenant) {
  if (s.reason() == "forward_queue_full" || s.reason() == "shutting_down") return s;
  return OwnerUnavailable(tenant, "its node did not answer (" + s.reason() + ")");
}

}  // namespace

// One forwarded request, from its resolution to its answer.
struct ClusterFront::Forwarding {
  Destination dest;
  cluster::ForwardRequest req;  // kept until the first answer, for a second attempt
  Done done;
  std::string owner;       // the owner the directory named, for a refusal's Tenantkv-Node
  std::string first_node;  // the node a first attempt went to and that said 421
};

void ClusterFront::Forward(HttpRequest& req, Destination dest, const std::string& request_id, Done done) {
  auto fw = std::make_shared<Forwarding>();
  fw->dest = std::move(dest);
  fw->req = ToForward(req, std::move(req.body), request_id);
  fw->done = std::move(done);
  // The common case: the owner known from memory, sent from this thread
  // without a hop to a worker.
  if (std::optional<Target> known = ResolveFromMemory(fw->dest)) return SendTo(std::move(fw), std::move(*known));
  ResolveAndSend(std::move(fw), false);
}

std::optional<ClusterFront::Target> ClusterFront::ResolveFromMemory(const Destination& dest) {
  const cluster::TenantDirectory& dir = *parts_.directory;
  Target t;
  const std::string& key_id = dest.kind == Destination::Kind::kKey ? dest.name : dest.key_id;
  std::optional<std::optional<std::string>> key_tenant;
  if (!key_id.empty()) {
    key_tenant = dir.PeekKey(key_id);
    if (!key_tenant || !*key_tenant) return std::nullopt;  // not known this fresh, or a refusal: the slow path
  }
  t.tenant = dest.kind == Destination::Kind::kKey ? **key_tenant : dest.name;
  if (key_tenant && **key_tenant != t.tenant) return std::nullopt;  // refused (403) on the slow path
  std::optional<std::optional<cluster::DirectoryEntry>> entry = dir.Peek(t.tenant);
  if (!entry || !*entry || (*entry)->state != "active" || (*entry)->node == node_id_) return std::nullopt;
  t.node = (*entry)->node;
  MutexLock lock(mu_);
  if (nodes_read_ms_ == 0 || NowMs() - nodes_read_ms_ >= kNodesTtlMs) return std::nullopt;
  auto it = endpoints_.find(t.node);
  if (it == endpoints_.end()) return std::nullopt;
  t.endpoint = it->second;
  return t;
}

void ClusterFront::Refuse(Forwarding& fw, const Status& s) {
  HttpResponse res;
  if (!fw.owner.empty()) res.SetHeader(kNodeHeader, fw.owner);
  // Answered here after all: the request's body goes back with it.
  if (s.reason() == "not_in_directory") res.body = std::move(fw.req.body);
  fw.done(s, std::move(res));
}

// The resolution runs as posted work (it may read etcd).
void ClusterFront::ResolveAndSend(std::shared_ptr<Forwarding> fw, bool fresh) {
  parts_.forwarder->Post([this, fw, fresh](const Status& queued) {
    if (!queued.ok()) return Refuse(*fw, queued);
    fw->owner.clear();
    Result<Target> target = Resolve(fw->dest, fresh, &fw->owner);
    if (!target.ok()) return Refuse(*fw, target.status());
    if (!fw->first_node.empty() && target->node == fw->first_node) {
      return Refuse(*fw, OwnerUnavailable(target->tenant, "its owner is changing"));
    }
    SendTo(fw, std::move(target).value());
  });
}

// The exchange is asynchronous: on this thread's io_context when this is an
// HTTP front I/O thread (the common case, no hand-off), else on a forwarder
// I/O thread. Its answer is handled there, which must not block: a 421 goes
// back to posted work for a fresh resolution.
void ClusterFront::SendTo(std::shared_ptr<Forwarding> fw, Target target) {
  fw->owner = target.node;
  const bool first = fw->first_node.empty();
  // The first attempt sends a copy: a 421 means the node did nothing
  // with it, and the same request goes to the owner etcd names now.
  cluster::ForwardRequest out = first ? fw->req : std::move(fw->req);
  parts_.forwarder->Send(
      target.endpoint, std::move(out),
      [this, fw, first, node = target.node, tenant = target.tenant](Result<cluster::ForwardResponse> answer) {
        if (answer.ok() && answer->status == 421) {
          if (!first) return Refuse(*fw, OwnerUnavailable(tenant, "its owner is changing"));
          fw->first_node = node;
          parts_.directory->Forget(tenant);
          return ResolveAndSend(fw, true);
        }
        if (!answer.ok()) return Refuse(*fw, ForwardFailure(answer.status(), tenant));
        fw->req = cluster::ForwardRequest();
        fw->done(Status::Ok(), FromForward(std::move(answer).value()));
      },
      ThisThreadsIoContext());
}

Status ClusterFront::ForwardTo(const std::string& node, const HttpRequest& req, std::string body,
                               const std::string& request_id, HttpResponse& res) {
  Result<cluster::HttpEndpoint> endpoint = EndpointOf(node);
  if (!endpoint.ok()) return Status::Unavailable("node '" + node + "' is not alive", "node_unavailable");
  cluster::ForwardRequest f = ToForward(req, std::move(body), request_id);
  Result<cluster::ForwardResponse> answer = parts_.forwarder->SendAndWait(*endpoint, std::move(f));
  if (!answer.ok()) {
    return Status::Unavailable("node '" + node + "' did not answer (" + answer.status().reason() + ")",
                               "node_unavailable");
  }
  res = FromForward(std::move(answer).value());
  return Status::Ok();
}

Result<cluster::ForwardResponse> ClusterFront::CallNode(const std::string& node, cluster::ForwardRequest req) {
  Result<cluster::HttpEndpoint> endpoint = EndpointOf(node);
  if (!endpoint.ok()) return Status::Unavailable("node '" + node + "' is not alive", "node_unavailable");
  Result<cluster::ForwardResponse> answer = parts_.forwarder->SendAndWait(*endpoint, std::move(req));
  if (!answer.ok()) {
    return Status::Unavailable("node '" + node + "' did not answer (" + answer.status().reason() + ")",
                               "node_unavailable");
  }
  return answer;
}

Result<std::string> ClusterFront::Place(const std::optional<std::string>& named) {
  TKV_ASSIGN_OR_RETURN(std::vector<cluster::NodeRecord> nodes, Nodes());
  const cluster::NodeRecord* best = nullptr;
  for (const auto& n : nodes) {
    if (named && n.id == *named) {
      if (!n.alive) return Status::Unavailable("node '" + n.id + "' is down", "node_unavailable");
      return n.id;
    }
    if (named || !n.alive) continue;
    if (best == nullptr || std::tie(n.load.bytes, n.load.tenants, n.id) <
                               std::tie(best->load.bytes, best->load.tenants, best->id)) {
      best = &n;
    }
  }
  if (named) return Status::InvalidArgument("node '" + *named + "' is not a node of this cluster", "unknown_node");
  if (best == nullptr) return Status::Unavailable("no node of the cluster is alive", "cluster_unavailable");
  return best->id;
}

Status ClusterFront::CheckWritable() const {
  if (!enabled() || parts_.membership->lease_alive()) return Status::Ok();
  return Status::Unavailable("this node's cluster lease lapsed: it accepts no writes until it renews it",
                             "tenant_unavailable");
}

Status ClusterFront::CheckWritable(const std::string& tenant) const {
  TKV_RETURN_IF_ERROR(CheckWritable());
  if (enabled() && FenceOf(tenant) != Fence::kNone) {
    return Status::Unavailable("tenant '" + tenant + "' is moving between nodes; retry shortly", "tenant_moving");
  }
  return Status::Ok();
}

}  // namespace tenantkv::server
