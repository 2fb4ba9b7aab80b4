// NodeMoves (node_moves.h): the target's side, the mover. One thread per
// move taken, pulling from the source over the internal routes
// (node_move_api.cc) and driving every step up to the switch.
#include <spdlog/spdlog.h>

#include <atomic>
#include <utility>

#include "crypto/hash.h"
#include "crypto/key_agreement.h"
#include "server/api/node_move_wire.h"
#include "server/api/node_moves.h"
#include "server/cluster/crash_point.h"

namespace tenantkv::server {

struct NodeMoves::Incoming {
  std::string tenant;
  std::string from;  // the source
  std::string auth;  // "Bearer tkvm_<secret>": in memory only, for this move's calls
  std::string digest;  // the secret's SHA-256, hex, as the entry holds it
  std::string transfer;  // the source's transfer id, once begun
  bool staged = false;
  bool committed = false;
  std::atomic<bool> switched{false};  // read by Busy: a switched move is over for the API
  int64_t copied = 0;
  std::thread thread;
  std::atomic<bool> done{false};
};

namespace {

Status Stopping() { return Status::Unavailable("this node is shutting down", "shutting_down"); }

}  // namespace

bool NodeMoves::MoverDone(const Incoming& in) { return in.done.load(); }

bool NodeMoves::MoverSwitched(const Incoming& in) { return in.switched.load(); }

void NodeMoves::JoinMover(Incoming& in) {
  if (in.thread.joinable()) in.thread.join();
}

Status NodeMoves::Take(const std::string& tenant) {
  const std::string& self = cluster_->node_id();
  TKV_ASSIGN_OR_RETURN(std::optional<cluster::DirectoryEntry> e, cluster_->directory()->ReadFromEtcd(tenant));
  if (!e || !e->move || e->move->to != self || e->move->state != "requested" || e->node != e->move->from) {
    return Status::FailedPrecondition("the directory records no move of tenant '" + tenant + "' to this node",
                                      "no_move");
  }
  auto in = std::make_shared<Incoming>();
  in->tenant = tenant;
  in->from = e->node;
  MutexLock lock(mu_);
  if (stopping_) return Stopping();
  if (auto it = incoming_.find(tenant); it != incoming_.end()) {
    if (!MoverDone(*it->second)) return Status::Ok();  // taken already
    // An earlier move of it here, ended: its thread has nothing left to do
    // (it takes no lock after `done`), so joining it here is quick.
    JoinMover(*it->second);
    incoming_.erase(it);
  }
  size_t running = 0;
  for (const auto& [t, other] : incoming_) running += other->done ? 0 : 1;
  if (running >= options_.max_incoming) {
    return Status::Unavailable("this node takes " + std::to_string(options_.max_incoming) + " moves at once",
                               "too_many_moves");
  }
  incoming_[tenant] = in;
  in->thread = std::thread([this, in] { RunMover(in); });
  return Status::Ok();
}

void NodeMoves::RunMover(std::shared_ptr<Incoming> in) {
  Status s = Move(*in);
  if (!s.ok()) Undo(*in, s);
  in->done = true;
}

namespace {

// One call of the mover to the source.
Result<std::string> CallSource(ClusterFront& cluster, const std::string& from, const std::string& auth,
                               const std::string& method, const std::string& target, std::string body = "") {
  cluster::ForwardRequest req;
  req.method = method;
  req.target = target;
  req.headers.emplace_back("Authorization", auth);
  if (!body.empty()) req.headers.emplace_back("Content-Type", "application/json");
  req.body = std::move(body);
  TKV_ASSIGN_OR_RETURN(cluster::ForwardResponse r, cluster.CallNode(from, std::move(req)));
  TKV_RETURN_IF_ERROR(move_wire::StatusOf(r));
  return std::move(r.body);
}

}  // namespace

Status NodeMoves::Move(Incoming& in) {
  const std::string& self = cluster_->node_id();
  cluster::TenantDirectory& dir = *cluster_->directory();
  auto stopping = [this] {
    MutexLock lock(mu_);
    return stopping_;
  };
  auto call = [&](const std::string& method, const std::string& path, std::string body = "") {
    return CallSource(*cluster_, in.from, in.auth, method, "/internal/v1/transfers/" + in.transfer + path,
                      std::move(body));
  };

  // Taken: a key pair and a secret of this move, their public half and
  // digest in the entry (the source checks both against it).
  TKV_ASSIGN_OR_RETURN(crypto::AgreementKeyPair pair, crypto::AgreementKeyPair::Generate());
  TKV_ASSIGN_OR_RETURN(crypto::SecretBytes secret, crypto::SecretBytes::Random(move_wire::kSecretBytes));
  in.auth = std::string(move_wire::kBearerPrefix) +
            crypto::HexEncode(std::string_view(reinterpret_cast<const char*>(secret.data()), secret.size()));
  in.digest = move_wire::SecretDigestOf(in.auth);
  TKV_ASSIGN_OR_RETURN(std::optional<cluster::DirectoryEntry> read, dir.ReadFromEtcd(in.tenant));
  if (!read || !read->move || read->move->to != self || read->move->state != "requested") {
    return Status::FailedPrecondition("the move is no longer recorded", "no_move");
  }
  cluster::DirectoryEntry taken = *read;
  taken.move->state = "copying";
  taken.move->target_public = crypto::HexEncode(pair.public_key());
  taken.move->secret_sha256 = in.digest;
  TKV_ASSIGN_OR_RETURN(taken, dir.Update(*read, taken));
  SetProgress(in.tenant, self, "copying", 0);
  cluster::CrashPoint("move.target.taken");

  // Begun: the transfer key agreed, never sent.
  nlohmann::json begin = {{"tenant", in.tenant}, {"public_key", taken.move->target_public}};
  TKV_ASSIGN_OR_RETURN(std::string begun_text, CallSource(*cluster_, in.from, in.auth, "POST",
                                                           "/internal/v1/transfers", begin.dump()));
  const nlohmann::json begun = nlohmann::json::parse(begun_text, nullptr, false);
  if (!begun.is_object() || !begun.value("transfer", nlohmann::json()).is_string() ||
      !begun.value("public_key", nlohmann::json()).is_string()) {
    return Status::Internal("the source's answer to begin is malformed", "bad_gateway");
  }
  in.transfer = begun["transfer"].get<std::string>();
  std::optional<std::string> source_public = crypto::HexDecode(begun["public_key"].get<std::string>());
  if (!source_public) return Status::Internal("the source's public key is malformed", "bad_gateway");
  TKV_ASSIGN_OR_RETURN(crypto::SecretBytes key,
                       pair.Derive(*source_public, true, move_wire::Context(in.tenant, self, in.digest)));

  // Copy while serving: staged hidden here, the snapshot page by page.
  // A copy this node gave away earlier (kept for its grace period) goes
  // now: the tenant comes back.
  const bool held = engine_->tenants().Get(in.tenant).ok() || engine_->tenants().PendingDelete(in.tenant).ok();
  if (held) {
    if (cluster_->FenceOf(in.tenant) != ClusterFront::Fence::kAway) {
      return Status::AlreadyExists("tenant '" + in.tenant + "' is held here", "tenant_exists");
    }
    TKV_RETURN_IF_ERROR(DeleteCopy(in.tenant));
  }
  TKV_ASSIGN_OR_RETURN(std::string records, call("GET", "/records"));
  TKV_ASSIGN_OR_RETURN(engine::Tier tier, engine::ParseTier(taken.tier));
  TKV_RETURN_IF_ERROR(engine_->transfer_sink().Stage(records, key, tier).status());
  in.staged = true;
  cluster::CrashPoint("move.target.staged");
  engine::TenantTransferSink& sink = engine_->transfer_sink();
  auto copy_snapshot = [&]() -> Status {
    std::string after;
    for (;;) {
      if (stopping()) return Stopping();
      TKV_ASSIGN_OR_RETURN(std::string bytes,
                           call("GET", "/entries?limit=" + std::to_string(options_.page_entries) +
                                           (after.empty() ? "" : "&after=" + crypto::HexEncode(after))));
      TKV_ASSIGN_OR_RETURN(engine::EntryPage page, engine::DecodeEntries(bytes));
      TKV_RETURN_IF_ERROR(sink.ApplyEntries(in.tenant, page));
      in.copied += static_cast<int64_t>(page.entries.size());
      SetProgress(in.tenant, self, "copying", in.copied);
      if (page.done || page.entries.empty()) return Status::Ok();
      after = page.next;
    }
  };
  // One pass of deltas: every key noted so far. *keys gets how many;
  // *overflowed when they passed their bound (nothing applied).
  auto delta_pass = [&](size_t* keys, bool* overflowed) -> Status {
    *keys = 0;
    *overflowed = false;
    for (;;) {
      if (stopping()) return Stopping();
      TKV_ASSIGN_OR_RETURN(std::string bytes, call("POST", "/delta?limit=" + std::to_string(options_.delta_items)));
      TKV_ASSIGN_OR_RETURN(engine::DeltaPage page, engine::DecodeDelta(bytes));
      if (page.overflowed) {
        *overflowed = true;
        return Status::Ok();
      }
      TKV_RETURN_IF_ERROR(sink.ApplyDelta(in.tenant, page));
      *keys += page.items.size();
      in.copied += static_cast<int64_t>(page.items.size());
      if (!page.more) return Status::Ok();
    }
  };
  TKV_RETURN_IF_ERROR(copy_snapshot());
  cluster::CrashPoint("move.target.copied");

  // Catch up while the deltas are large; an overflow starts the copy again.
  for (int round = 0; round < options_.max_catchup_rounds; ++round) {
    size_t keys = 0;
    bool overflowed = false;
    TKV_RETURN_IF_ERROR(delta_pass(&keys, &overflowed));
    SetProgress(in.tenant, self, "catching_up", in.copied);
    if (overflowed) {
      TKV_RETURN_IF_ERROR(call("POST", "/rescan").status());
      TKV_RETURN_IF_ERROR(sink.ClearEntries(in.tenant));
      in.copied = 0;
      TKV_RETURN_IF_ERROR(copy_snapshot());
      continue;
    }
    if (keys <= options_.switch_delta_keys) break;
  }

  // The switch: the source frozen, the last delta, the final records.
  SetProgress(in.tenant, self, "switching", in.copied);
  TKV_RETURN_IF_ERROR(call("POST", "/freeze").status());
  cluster::CrashPoint("move.target.frozen");
  size_t keys = 0;
  bool overflowed = false;
  TKV_RETURN_IF_ERROR(delta_pass(&keys, &overflowed));
  if (overflowed) return Status::Unavailable("the last delta overflowed", "move_overflowed");
  TKV_ASSIGN_OR_RETURN(std::string final_records, call("GET", "/records"));
  TKV_ASSIGN_OR_RETURN(std::string counters_text, call("GET", "/counters"));
  TKV_ASSIGN_OR_RETURN(engine::TransferCounters counters, engine::TransferCounters::FromJson(counters_text));
  // Not served here before the switch wins, whatever happens.
  cluster_->SetFence(in.tenant, ClusterFront::Fence::kAway);
  TKV_ASSIGN_OR_RETURN(auto committed, engine_->CommitTransferIn(in.tenant, final_records, key, counters));
  in.committed = true;
  cluster::CrashPoint("move.target.committed");

  // owner = this node, epoch + 1, in one guarded transaction on the entry
  // as read now: a rollback by the source (or anyone) since makes it fail.
  TKV_ASSIGN_OR_RETURN(std::optional<cluster::DirectoryEntry> now, dir.ReadFromEtcd(in.tenant));
  if (!now || now->node != in.from || !now->move || now->move->to != self ||
      !crypto::ConstantTimeEquals(now->move->secret_sha256, in.digest)) {
    return Status::FailedPrecondition("the move was rolled back before its switch", "move_cancelled");
  }
  cluster::DirectoryEntry next = *now;
  next.node = self;
  next.epoch = now->epoch + 1;
  next.move.reset();
  next.moved_from = in.from;
  next.state = "active";
  next.tier = engine::TierName(engine::TierOfPlacement(committed->Info().placement));
  Result<cluster::DirectoryEntry> switched = dir.Update(*now, next);
  if (!switched.ok()) {
    if (switched.status().reason() == "directory_changed") {
      return Status::FailedPrecondition("the move was rolled back before its switch", "move_cancelled");
    }
    // Sent, but its outcome unknown: the supervisor finds out.
    return Status::Unavailable("the switch's outcome is not known: " + switched.status().message(),
                               "switch_in_doubt");
  }
  in.switched = true;
  cluster_->SetFence(in.tenant, ClusterFront::Fence::kNone);
  cluster::CrashPoint("move.target.switched");
  spdlog::info("move: tenant '{}' from '{}' now lives here (epoch {}, {} keys copied)", in.tenant, in.from,
               next.epoch, in.copied);
  // The source learns it now rather than from its watchdog; "done" comes
  // after, so that a caller told "done" finds the source settled unless
  // this call failed (then its watchdog settles it within about a second).
  if (Result<std::string> told = call("POST", "/settle"); !told.ok()) {
    spdlog::info("move: tenant '{}': the source '{}' will learn of the switch from etcd ({})", in.tenant, in.from,
                 told.status().ToString());
  }
  SetProgress(in.tenant, self, "done", in.copied);
  return Status::Ok();
}

void NodeMoves::Undo(Incoming& in, const Status& why) {
  const std::string& self = cluster_->node_id();
  spdlog::warn("move: tenant '{}' from '{}' to here stopped: {}", in.tenant, in.from, why.ToString());
  if (why.reason() == "switch_in_doubt") {
    // Committed and perhaps switched: kept fenced until etcd tells.
    MutexLock lock(mu_);
    doubts_.insert(in.tenant);
    return;
  }
  // The move leaves the entry if it is still this one's.
  if (!in.digest.empty()) {
    Result<std::optional<cluster::DirectoryEntry>> read = cluster_->directory()->ReadFromEtcd(in.tenant);
    if (read.ok() && *read && (*read)->move && (*read)->move->to == self &&
        ((*read)->move->state == "requested" || crypto::ConstantTimeEquals((*read)->move->secret_sha256, in.digest))) {
      (void)ClearMove(**read);
    }
  }
  if (in.committed) {
    MutexLock lock(mu_);
    given_away_[in.tenant] = 0;  // never served: deleted at once (the fence stays until then)
  } else if (in.staged) {
    if (Status s = engine_->transfer_sink().Abort(in.tenant); !s.ok()) {
      spdlog::warn("move: tenant '{}': the staged copy stays until the next start removes it: {}", in.tenant,
                   s.ToString());
    }
  }
  if (!in.transfer.empty()) {
    (void)CallSource(*cluster_, in.from, in.auth, "POST", "/internal/v1/transfers/" + in.transfer + "/settle");
  }
  SetProgress(in.tenant, self, "failed", in.copied, why.message());
}

void NodeMoves::ResolveDoubts() {
  std::set<std::string> doubts;
  {
    MutexLock lock(mu_);
    doubts = doubts_;
  }
  for (const std::string& tenant : doubts) {
    Result<std::optional<cluster::DirectoryEntry>> read = cluster_->directory()->ReadFromEtcd(tenant);
    if (!read.ok()) continue;
    const bool mine = *read && (*read)->node == cluster_->node_id();
    {
      MutexLock lock(mu_);
      doubts_.erase(tenant);
      if (!mine) given_away_[tenant] = 0;
    }
    if (mine) {
      cluster_->SetFence(tenant, ClusterFront::Fence::kNone);
      SetProgress(tenant, cluster_->node_id(), "done", Copied(tenant));
      spdlog::info("move: tenant '{}': its switch had happened; served here", tenant);
    } else {
      spdlog::warn("move: tenant '{}': its switch had not happened; the copy here goes", tenant);
    }
  }
}

}  // namespace tenantkv::server
