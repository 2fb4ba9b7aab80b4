// NodeMoves (node_moves.h): the source's side, the start-up settling and
// the supervisor. The mover (the target's side) is node_move_in.cc.
#include "server/api/node_moves.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <utility>
#include <vector>

#include "crypto/hash.h"
#include "crypto/key_agreement.h"
#include "server/api/node_move_wire.h"
#include "server/cluster/crash_point.h"

namespace tenantkv::server {

struct NodeMoves::Outgoing {
  std::string id;      // the engine transfer's id
  std::string tenant;
  std::string to;
  std::string secret_sha256;  // hex, as the entry holds it
  crypto::SecretBytes key;    // the transfer key, agreed with the mover
  std::atomic<int64_t> last_call_ms{0};
  std::atomic<int64_t> last_check_ms{0};
  std::atomic<bool> frozen{false};
  bool ended = false;  // under NodeMoves::mu_
};

NodeMoves::NodeMoves(engine::Engine* engine, ClusterFront* cluster, NodeMovesOptions options)
    : engine_(engine), cluster_(cluster), options_(options) {}

NodeMoves::~NodeMoves() { Stop(); }

void NodeMoves::Start() {
  MutexLock lock(mu_);
  if (started_ || stopping_) return;
  started_ = true;
  supervisor_ = std::thread([this] { Supervise(); });
}

void NodeMoves::Stop() {
  std::map<std::string, std::shared_ptr<Incoming>> movers;
  {
    MutexLock lock(mu_);
    stopping_ = true;
    wake_.SignalAll();
  }
  if (supervisor_.joinable()) supervisor_.join();
  {
    MutexLock lock(mu_);
    movers.swap(incoming_);
  }
  for (auto& [tenant, in] : movers) JoinMover(*in);
}

void NodeMoves::SetProgress(const std::string& tenant, const std::string& to, const std::string& state,
                            int64_t copied, const std::string& error) {
  MutexLock lock(mu_);
  const int64_t now = move_wire::SteadyMs();
  // Bounded: finished moves older than an hour go when many are kept.
  if (progress_.size() >= 10'000) {
    for (auto it = progress_.begin(); it != progress_.end();) {
      const bool finished = it->second.state == "done" || it->second.state == "failed";
      it = finished && now - it->second.updated_ms > 3'600'000 ? progress_.erase(it) : std::next(it);
    }
  }
  Progress& p = progress_[tenant];
  p.to = to;
  p.state = state;
  p.copied_keys = copied;
  p.error = error;
  p.updated_ms = now;
}

std::optional<nlohmann::json> NodeMoves::StatusJson(const std::string& tenant) const {
  MutexLock lock(mu_);
  auto it = progress_.find(tenant);
  if (it == progress_.end()) return std::nullopt;
  json j = {{"to", it->second.to}, {"state", it->second.state}, {"copied_keys", it->second.copied_keys}};
  if (!it->second.error.empty()) j["error"] = it->second.error;
  return j;
}

int64_t NodeMoves::Copied(const std::string& tenant) const {
  MutexLock lock(mu_);
  auto it = progress_.find(tenant);
  return it == progress_.end() ? 0 : it->second.copied_keys;
}

bool NodeMoves::Busy(const std::string& tenant) const {
  MutexLock lock(mu_);
  if (auto in = incoming_.find(tenant); in != incoming_.end() && !MoverDone(*in->second) && !MoverSwitched(*in->second)) {
    return true;
  }
  for (const auto& [id, o] : outgoing_) {
    if (o->tenant == tenant) return true;
  }
  auto it = progress_.find(tenant);
  return it != progress_.end() && it->second.state == "requested";
}

Status NodeMoves::ClearMove(const cluster::DirectoryEntry& entry) {
  if (!entry.move) return Status::Ok();
  cluster::DirectoryEntry next = entry;
  next.move.reset();
  return cluster_->directory()->Update(entry, next).status();
}

namespace {

// For callers to whom an entry changed since it was read is as good as
// cleared (whoever changed it settles the move).
Status UnlessChanged(const Status& s) { return s.reason() == "directory_changed" ? Status::Ok() : s; }

}  // namespace

// --- the owner ------------------------------------------------------------

Result<bool> NodeMoves::Request(const std::string& tenant, const std::string& to) {
  const std::string& self = cluster_->node_id();
  TKV_ASSIGN_OR_RETURN(auto held, engine_->tenants().Get(tenant));
  if (cluster_->FenceOf(tenant) == ClusterFront::Fence::kAway) {
    return Status::NotFound("tenant '" + tenant + "' is not on this node", "tenant_not_found");
  }
  if (to == self) return false;
  if (engine::TierOfPlacement(held->Info().placement) == engine::Tier::kDedicated) {
    return Status::AlreadyExists(
        "a dedicated tenant moves between nodes from the column_family tier: move it there first", "tier_not_movable");
  }
  if (held->Info().tier_move.has_value() && held->Info().tier_move->running()) {
    return Status::AlreadyExists("tenant '" + tenant + "' is moving between tiers", "move_in_progress");
  }
  TKV_ASSIGN_OR_RETURN(std::vector<cluster::NodeRecord> nodes, cluster_->Nodes());
  auto node = std::find_if(nodes.begin(), nodes.end(), [&](const cluster::NodeRecord& n) { return n.id == to; });
  if (node == nodes.end()) {
    return Status::InvalidArgument("node '" + to + "' is not a node of this cluster", "unknown_node");
  }
  if (!node->alive) return Status::Unavailable("node '" + to + "' is down", "node_unavailable");
  TKV_RETURN_IF_ERROR(cluster_->CheckWritable(tenant));
  if (Busy(tenant)) return Status::AlreadyExists("a move of tenant '" + tenant + "' runs", "move_in_progress");
  cluster::TenantDirectory& dir = *cluster_->directory();
  TKV_ASSIGN_OR_RETURN(std::optional<cluster::DirectoryEntry> entry, dir.ReadFromEtcd(tenant));
  if (!entry || entry->node != self || entry->state != "active") {
    return Status::Unavailable("the directory does not give tenant '" + tenant + "' to this node yet",
                               "tenant_unavailable");
  }
  if (entry->move) return Status::AlreadyExists("a move of tenant '" + tenant + "' runs", "move_in_progress");
  cluster::DirectoryEntry next = *entry;
  next.move = cluster::DirectoryMove{to, self, "requested", move_wire::WallMs(), "", ""};
  Result<cluster::DirectoryEntry> recorded = dir.Update(*entry, next);
  if (!recorded.ok()) {
    if (recorded.status().reason() == "directory_changed") {
      return Status::AlreadyExists("the entry of tenant '" + tenant + "' changed meanwhile", "move_in_progress");
    }
    return recorded.status();
  }
  SetProgress(tenant, to, "requested", 0);
  cluster::CrashPoint("move.source.requested");
  cluster::ForwardRequest poke;
  poke.method = "POST";
  poke.target = "/internal/v1/moves/" + tenant;
  Result<cluster::ForwardResponse> told = cluster_->CallNode(to, std::move(poke));
  Status refused = told.ok() ? move_wire::StatusOf(*told) : told.status();
  if (!refused.ok()) {
    // Not taken: the move is undone (the target runs nothing of it). An
    // entry changed meanwhile is the target having taken it after all (its
    // answer was lost): the move runs.
    Status cleared = ClearMove(*recorded);
    if (cleared.reason() == "directory_changed") {
      spdlog::info("move: tenant '{}': '{}' took the move though its answer was lost", tenant, to);
      return true;
    }
    if (!cleared.ok()) {
      spdlog::warn("move: tenant '{}': the move not taken by '{}' stays recorded until the supervisor clears it: {}",
                   tenant, to, cleared.ToString());
    }
    SetProgress(tenant, to, "failed", 0, refused.message());
    if (refused.reason() == "too_many_moves") return refused;
    return Status::Unavailable("node '" + to + "' did not take the move: " + refused.message(), "node_unavailable");
  }
  spdlog::info("move: tenant '{}' from '{}' to '{}' requested", tenant, self, to);
  return true;
}

Result<NodeMoves::Begun> NodeMoves::BeginOut(const std::string& tenant, const std::string& target_public,
                                             std::string_view authorization) {
  const Status no_move = Status::NotFound("no move of this tenant matches", "no_move");
  const std::string digest = move_wire::SecretDigestOf(authorization);
  if (digest.empty()) return no_move;
  Result<std::optional<cluster::DirectoryEntry>> read = cluster_->directory()->ReadFromEtcd(tenant);
  if (!read.ok()) return read.status();
  if (!*read) return no_move;
  const cluster::DirectoryEntry& e = **read;
  if (e.node != cluster_->node_id() || !e.move || e.move->from != e.node || e.move->state != "copying" ||
      !crypto::ConstantTimeEquals(digest, e.move->secret_sha256) || target_public != e.move->target_public) {
    return no_move;
  }
  std::optional<std::string> peer = crypto::HexDecode(target_public);
  if (!peer) return no_move;
  {
    MutexLock lock(mu_);
    if (stopping_) return Status::Unavailable("this node is shutting down", "shutting_down");
    for (const auto& [id, o] : outgoing_) {
      if (o->tenant == tenant) return Status::AlreadyExists("a transfer of this tenant runs", "move_in_progress");
    }
  }
  TKV_ASSIGN_OR_RETURN(std::string id, engine_->transfer_source().Begin(tenant));
  auto o = std::make_shared<Outgoing>();
  o->id = id;
  o->tenant = tenant;
  o->to = e.move->to;
  o->secret_sha256 = digest;
  Result<crypto::AgreementKeyPair> pair = crypto::AgreementKeyPair::Generate();
  Result<crypto::SecretBytes> key =
      pair.ok() ? pair->Derive(*peer, false, move_wire::Context(tenant, o->to, digest)) : pair.status();
  if (!key.ok()) {
    (void)engine_->transfer_source().End(id);
    return key.status();
  }
  o->key = std::move(key).value();
  o->last_call_ms = move_wire::SteadyMs();
  {
    MutexLock lock(mu_);
    outgoing_[id] = o;
  }
  SetProgress(tenant, o->to, "copying", 0);
  cluster::CrashPoint("move.source.begun");
  return Begun{id, pair->public_key()};
}

Result<std::shared_ptr<NodeMoves::Outgoing>> NodeMoves::FindOut(const std::string& transfer,
                                                                std::string_view authorization) {
  const Status none = Status::NotFound("no such transfer", "transfer_not_found");
  const std::string digest = move_wire::SecretDigestOf(authorization);
  std::shared_ptr<Outgoing> o;
  {
    MutexLock lock(mu_);
    auto it = outgoing_.find(transfer);
    if (it == outgoing_.end()) return none;
    o = it->second;
  }
  if (digest.empty() || !crypto::ConstantTimeEquals(digest, o->secret_sha256)) return none;
  o->last_call_ms = move_wire::SteadyMs();
  return o;
}

Result<std::string> NodeMoves::Records(const std::string& transfer, std::string_view authorization) {
  TKV_ASSIGN_OR_RETURN(auto o, FindOut(transfer, authorization));
  return engine_->transfer_source().Records(transfer, o->key);
}

Result<std::string> NodeMoves::Entries(const std::string& transfer, std::string_view authorization,
                                       const std::string& after, size_t limit) {
  TKV_ASSIGN_OR_RETURN(auto o, FindOut(transfer, authorization));
  TKV_ASSIGN_OR_RETURN(engine::EntryPage page,
                       engine_->transfer_source().Entries(transfer, after, limit, options_.page_bytes));
  {
    MutexLock lock(mu_);
    Progress& p = progress_[o->tenant];
    p.to = o->to;
    p.state = "copying";
    p.copied_keys += static_cast<int64_t>(page.entries.size());
    p.updated_ms = move_wire::SteadyMs();
  }
  return engine::EncodeEntries(page);
}

Result<std::string> NodeMoves::Delta(const std::string& transfer, std::string_view authorization, size_t limit) {
  TKV_ASSIGN_OR_RETURN(auto o, FindOut(transfer, authorization));
  TKV_ASSIGN_OR_RETURN(engine::DeltaPage page, engine_->transfer_source().Delta(transfer, limit));
  {
    MutexLock lock(mu_);
    Progress& p = progress_[o->tenant];
    p.to = o->to;
    p.state = o->frozen ? "switching" : "catching_up";
    p.copied_keys += static_cast<int64_t>(page.items.size());
    p.updated_ms = move_wire::SteadyMs();
  }
  return engine::EncodeDelta(page);
}

Status NodeMoves::Rescan(const std::string& transfer, std::string_view authorization) {
  TKV_ASSIGN_OR_RETURN(auto o, FindOut(transfer, authorization));
  TKV_RETURN_IF_ERROR(engine_->transfer_source().Rescan(transfer));
  SetProgress(o->tenant, o->to, "copying", 0);
  return Status::Ok();
}

Status NodeMoves::Freeze(const std::string& transfer, std::string_view authorization) {
  TKV_ASSIGN_OR_RETURN(auto o, FindOut(transfer, authorization));
  // The fence first: no change of the tenant begins from here on (reads go
  // on); then the changes running finish, then the engine's writes stop.
  cluster_->SetFence(o->tenant, ClusterFront::Fence::kFrozen);
  Status frozen = cluster_->DrainChanges(o->tenant, std::chrono::seconds(10))
                      ? engine_->transfer_source().Freeze(transfer)
                      : Status::Unavailable("changes of the tenant still run; try again", "changes_running");
  if (!frozen.ok()) {
    cluster_->SetFence(o->tenant, ClusterFront::Fence::kNone);
    return frozen;
  }
  o->frozen = true;
  SetProgress(o->tenant, o->to, "switching", Copied(o->tenant));
  cluster::CrashPoint("move.source.frozen");
  return Status::Ok();
}

Result<std::string> NodeMoves::Counters(const std::string& transfer, std::string_view authorization) {
  TKV_ASSIGN_OR_RETURN(auto o, FindOut(transfer, authorization));
  TKV_ASSIGN_OR_RETURN(engine::TransferCounters counters, engine_->transfer_source().Counters(transfer));
  cluster::CrashPoint("move.source.counters");
  return counters.ToJson();
}

Status NodeMoves::Settle(const std::string& transfer, std::string_view authorization) {
  TKV_ASSIGN_OR_RETURN(auto o, FindOut(transfer, authorization));
  ResolveOut(o, false);
  return Status::Ok();
}

void NodeMoves::ResolveOut(const std::shared_ptr<Outgoing>& o, bool silent) {
  o->last_check_ms = move_wire::SteadyMs();
  Result<std::optional<cluster::DirectoryEntry>> read = cluster_->directory()->ReadFromEtcd(o->tenant);
  if (!read.ok()) return;  // etcd out of reach: the outcome is unknown, the tenant stays as it is (frozen or not)
  if (!*read) return EndOut(o, false, "the tenant left the directory");
  const cluster::DirectoryEntry& e = **read;
  if (e.node != cluster_->node_id()) return EndOut(o, true, "");
  if (!e.move || !crypto::ConstantTimeEquals(e.move->secret_sha256, o->secret_sha256)) {
    return EndOut(o, false, "the move was rolled back");
  }
  // Only a clear that won ends it: an entry changed meanwhile (the switch,
  // say) is read again at the next check.
  if (silent && ClearMove(e).ok()) EndOut(o, false, "the target stopped answering");
}

void NodeMoves::EndOut(const std::shared_ptr<Outgoing>& o, bool given_away, const std::string& error) {
  {
    MutexLock lock(mu_);
    if (o->ended) return;
    o->ended = true;
    outgoing_.erase(o->id);
  }
  const int64_t copied = Copied(o->tenant);
  if (given_away) {
    GiveAway(o->tenant);  // fenced away before the engine's writes resume
    (void)engine_->transfer_source().End(o->id);
    SetProgress(o->tenant, o->to, "done", copied);
    spdlog::info("move: tenant '{}' now lives on '{}'; this copy goes in {} s", o->tenant, o->to,
                 options_.grace.count() / 1000);
    return;
  }
  (void)engine_->transfer_source().End(o->id);
  cluster_->SetFence(o->tenant, ClusterFront::Fence::kNone);
  SetProgress(o->tenant, o->to, "failed", copied, error);
  spdlog::warn("move: tenant '{}' to '{}' did not happen: {}; it stays here", o->tenant, o->to, error);
}

void NodeMoves::GiveAway(const std::string& tenant) {
  cluster_->SetFence(tenant, ClusterFront::Fence::kAway);
  MutexLock lock(mu_);
  given_away_[tenant] = move_wire::SteadyMs() + options_.grace.count();
}

// --- start and the supervisor -----------------------------------------------

Status NodeMoves::SettleAtStart(const cluster::DirectoryEntry& e, bool held) {
  const std::string& self = cluster_->node_id();
  if (held && e.node != self) {
    cluster_->SetFence(e.tenant, ClusterFront::Fence::kAway);
    if (e.move && e.move->to == self) {
      // Committed here, but the switch never came: the move is undone and
      // this copy goes at once (it was never served).
      TKV_RETURN_IF_ERROR(UnlessChanged(ClearMove(e)));
      MutexLock lock(mu_);
      given_away_[e.tenant] = 0;
      spdlog::warn("move: tenant '{}' was taken in but not switched before a restart: dropped here", e.tenant);
    } else if (e.moved_from == self) {
      GiveAway(e.tenant);
      spdlog::info("move: tenant '{}' moved to '{}'; this copy goes after the grace period", e.tenant, e.node);
    } else {
      spdlog::error("cluster: tenant '{}' is held here, but the directory gives it to node '{}': this copy is kept "
                    "but not served",
                    e.tenant, e.node);
    }
    return Status::Ok();
  }
  if (e.move && (e.move->from == self || e.move->to == self)) {
    // A move this node took part in died with it: rolled back.
    TKV_RETURN_IF_ERROR(UnlessChanged(ClearMove(e)));
    spdlog::warn("move: tenant '{}' from '{}' to '{}' was cut short by a restart: rolled back", e.tenant,
                 e.move->from, e.move->to);
  }
  return Status::Ok();
}

void NodeMoves::Supervise() {
  int64_t last_scan = 0;
  for (;;) {
    std::vector<std::shared_ptr<Outgoing>> out;
    std::vector<std::shared_ptr<Incoming>> finished;
    {
      MutexLock lock(mu_);
      wake_.WaitUntil(mu_, std::chrono::steady_clock::now() + options_.tick);
      if (stopping_) return;
      for (const auto& [id, o] : outgoing_) out.push_back(o);
      for (auto it = incoming_.begin(); it != incoming_.end();) {
        if (MoverDone(*it->second)) {
          finished.push_back(it->second);
          it = incoming_.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (auto& in : finished) JoinMover(*in);
    const int64_t now = move_wire::SteadyMs();
    for (const auto& o : out) {
      const bool silent = now - o->last_call_ms.load() >= options_.mover_silence.count();
      if (silent || now - o->last_check_ms.load() >= 1000) ResolveOut(o, silent);
    }
    ResolveDoubts();
    DeleteGivenAway();
    SettleRequested();
    if (now - last_scan >= 2000) {
      last_scan = now;
      ScanMoves();
    }
  }
}

void NodeMoves::ScanMoves() {
  cluster::TenantDirectory& dir = *cluster_->directory();
  Result<std::vector<std::string>> moving = dir.ListMoving();
  if (!moving.ok()) return;
  const std::string& self = cluster_->node_id();
  const int64_t now = move_wire::SteadyMs();
  std::set<std::string> seen;
  for (const std::string& tenant : *moving) {
    Result<std::optional<cluster::DirectoryEntry>> read = dir.ReadFromEtcd(tenant);
    if (!read.ok() || !*read || !(*read)->move) continue;
    const cluster::DirectoryEntry& e = **read;
    const cluster::DirectoryMove& m = *e.move;
    if (m.to != self && m.from != self) continue;
    bool running = false;
    {
      MutexLock lock(mu_);
      running = incoming_.count(tenant) != 0;
      for (const auto& [id, o] : outgoing_) running = running || o->tenant == tenant;
    }
    if (running) continue;
    if (m.to == self && m.state == "requested") {
      // The source's word was lost: taken now.
      if (Status s = Take(tenant); !s.ok()) spdlog::warn("move: tenant '{}' not taken: {}", tenant, s.ToString());
      continue;
    }
    seen.insert(tenant);
    int64_t first = 0;
    {
      MutexLock lock(mu_);
      first = orphans_.emplace(tenant, now).first->second;
    }
    if (now - first < options_.mover_silence.count()) continue;
    // Recorded, but run by neither party for a while: undone.
    if (Status s = ClearMove(e); !s.ok()) continue;
    spdlog::warn("move: tenant '{}' from '{}' to '{}' ran nowhere: cleared", tenant, m.from, m.to);
    if (m.from == self) SetProgress(tenant, m.to, "failed", 0, "the move stopped (a node restarted or went away)");
  }
  MutexLock lock(mu_);
  for (auto it = orphans_.begin(); it != orphans_.end();) {
    it = seen.count(it->first) != 0 ? std::next(it) : orphans_.erase(it);
  }
}

void NodeMoves::SettleRequested() {
  // Moves asked here that the target never began: once the entry no longer
  // holds them (cleared by the target, or by a scan), they failed.
  std::vector<std::pair<std::string, std::string>> asked;  // tenant, to
  const int64_t now = move_wire::SteadyMs();
  {
    MutexLock lock(mu_);
    for (const auto& [tenant, p] : progress_) {
      if (p.state != "requested" || now - p.updated_ms < 1000) continue;
      bool out = false;
      for (const auto& [id, o] : outgoing_) out = out || o->tenant == tenant;
      if (!out) asked.emplace_back(tenant, p.to);
    }
  }
  for (const auto& [tenant, to] : asked) {
    Result<std::optional<cluster::DirectoryEntry>> read = cluster_->directory()->ReadFromEtcd(tenant);
    if (!read.ok()) continue;
    const bool recorded = *read && (*read)->move && (*read)->move->from == cluster_->node_id();
    if (recorded) continue;
    MutexLock lock(mu_);
    auto it = progress_.find(tenant);
    if (it == progress_.end() || it->second.state != "requested") continue;
    it->second.state = "failed";
    it->second.error = "the target did not take the move";
    it->second.updated_ms = move_wire::SteadyMs();
  }
}

void NodeMoves::DeleteGivenAway() {
  std::vector<std::string> due;
  {
    MutexLock lock(mu_);
    const int64_t now = move_wire::SteadyMs();
    for (const auto& [tenant, at] : given_away_) {
      if (at <= now) due.push_back(tenant);
    }
  }
  for (const std::string& tenant : due) {
    if (Status s = DeleteCopy(tenant); !s.ok()) {
      spdlog::warn("move: the copy of tenant '{}' given away is not deleted yet: {}", tenant, s.ToString());
    }
  }
}

Status NodeMoves::DeleteCopy(const std::string& tenant) {
  Result<engine::TenantRegistry::DeleteOutcome> r = engine_->DeleteTenant(tenant);
  const bool gone = (r.ok() && r->purged) || (!r.ok() && r.status().reason() == "tenant_not_found");
  if (!gone) return r.ok() ? Status::Unavailable("another delete of it runs", "delete_running") : r.status();
  {
    MutexLock lock(mu_);
    given_away_.erase(tenant);
  }
  cluster_->SetFence(tenant, ClusterFront::Fence::kNone);
  spdlog::info("move: the copy of tenant '{}' given away is deleted", tenant);
  return Status::Ok();
}

}  // namespace tenantkv::server
