#include "server/api/operator_key_mirror.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <optional>

#include "engine/apikeys/api_keys.h"

namespace tenantkv::server {
namespace {

// A create whose freshly drawn id is taken (64 random bits: never, in
// practice) draws again this many times.
constexpr int kIdDraws = 3;

int64_t SteadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

cluster::ClusterOperatorKey ToCluster(const engine::StoredOperatorKey& k) {
  cluster::ClusterOperatorKey c;
  c.key_id = k.info.key_id;
  c.name = k.info.name;
  c.created_at_ms = k.info.created_at_ms;
  c.revoked_at_ms = k.info.revoked_at_ms;
  c.secret_sha256 = k.secret_hash;
  return c;
}

engine::StoredOperatorKey ToStored(const cluster::ClusterOperatorKey& c) {
  engine::StoredOperatorKey k;
  k.info.key_id = c.key_id;
  k.info.name = c.name;
  k.info.created_at_ms = c.created_at_ms;
  k.info.revoked_at_ms = c.revoked_at_ms;
  k.secret_hash = c.secret_sha256;
  return k;
}

}  // namespace

OperatorKeyMirror::OperatorKeyMirror(cluster::EtcdClient* etcd, engine::OperatorKeyStore* store,
                                     const engine::Clock* clock, OperatorKeyMirrorOptions options)
    : registry_(etcd), store_(store), clock_(clock), options_(options) {}

OperatorKeyMirror::~OperatorKeyMirror() { Stop(); }

size_t OperatorKeyMirror::Apply(const std::vector<cluster::ClusterOperatorKey>& keys) {
  size_t changed = 0;
  for (const cluster::ClusterOperatorKey& k : keys) {
    // Its name goes into the audit as operator:<name>: the rules of a name made here.
    if (!engine::ValidateApiKeyName(k.name).ok()) {
      spdlog::warn("cluster: skipping operator key {} from etcd: its name is not a valid one", k.key_id);
      continue;
    }
    bool did = false;
    const Status s = store_->Adopt(ToStored(k), &did);
    if (!s.ok()) {
      spdlog::error("cluster: cannot store operator key {} here: {}", k.key_id, s.ToString());
      continue;
    }
    if (did) ++changed;
  }
  return changed;
}

Status OperatorKeyMirror::Refresh(bool full) {
  MutexLock lock(refresh_mu_);
  const auto now = std::chrono::steady_clock::now();
  if (now - last_full_ >= std::chrono::milliseconds(options_.full_read_ms)) full = true;
  Result<int64_t> mark = registry_.ChangeMark();
  if (mark.ok() && !full && *mark == seen_mark_) {
    refreshes_.fetch_add(1);
    return Status::Ok();
  }
  // Read after the mark: a change in between moves the mark again, and is read next time.
  std::optional<Result<cluster::OperatorKeyListing>> listing;
  if (mark.ok()) listing.emplace(registry_.List());
  const Status s = mark.ok() ? listing->status() : mark.status();
  if (!s.ok()) {
    failed_refreshes_.fetch_add(1);
    if (!failing_) spdlog::warn("cluster: cannot refresh the operator keys (this node keeps the ones it knows): {}",
                                s.ToString());
    failing_ = true;
    return s;
  }
  if (failing_) spdlog::info("cluster: operator keys refreshed again");
  failing_ = false;
  const cluster::OperatorKeyListing& read = **listing;
  if (!read.complete) {
    spdlog::warn("cluster: more than {} operator key records in etcd: only the first were read",
                 cluster::OperatorKeyRegistry::kMaxRecords);
  }
  const size_t changed = Apply(read.keys);
  if (changed > 0) spdlog::info("cluster: {} operator key(s) changed from etcd", changed);
  seen_mark_ = *mark;
  last_full_ = now;
  refreshes_.fetch_add(1);
  return Status::Ok();
}

Status OperatorKeyMirror::Reconcile() {
  TKV_ASSIGN_OR_RETURN(cluster::OperatorKeyListing listing, registry_.List());
  std::map<std::string, cluster::ClusterOperatorKey> held;
  for (auto& k : listing.keys) held.emplace(k.key_id, std::move(k));
  size_t published = 0, kept_local = 0, revoked = 0;
  for (const engine::StoredOperatorKey& k : store_->Records()) {
    if (k.local_only) continue;
    auto it = held.find(k.info.key_id);
    Status s;
    if (it == held.end()) {
      s = registry_.Publish(ToCluster(k));
      if (s.ok()) ++published;
    } else if (it->second.secret_sha256 != k.secret_hash) {
      s = Status::AlreadyExists("another key of the cluster has its id", "key_id_taken");
    } else if (k.info.revoked() && !it->second.revoked()) {
      // Revoked here, not in etcd (it lost the change): revoked everywhere.
      s = registry_.Revoke(k.info.key_id, k.info.revoked_at_ms).status();
      if (s.ok()) ++revoked;
    }
    if (s.code() == Code::kAlreadyExists) {
      spdlog::error("cluster: operator key {} ('{}') made on this node conflicts with the cluster's ({}): it stays "
                    "valid on this node only",
                    k.info.key_id, k.info.name, s.reason());
      TKV_RETURN_IF_ERROR(store_->MarkLocalOnly(k.info.key_id));
      ++kept_local;
    } else if (!s.ok()) {
      return s;
    }
  }
  spdlog::info("cluster: operator keys reconciled: {} published, {} revoked in etcd, {} kept local to this node",
               published, revoked, kept_local);
  return Refresh(true);
}

void OperatorKeyMirror::Start() {
  if (thread_.joinable()) return;
  {
    MutexLock lock(mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { Loop(); });
}

void OperatorKeyMirror::Stop() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  wake_.SignalAll();
  if (thread_.joinable()) thread_.join();
}

void OperatorKeyMirror::Poke() {
  const int64_t now = SteadyNs();
  int64_t last = last_poke_ns_.load(std::memory_order_relaxed);
  if (now - last < int64_t{options_.poke_gap_ms} * 1'000'000) return;
  if (!last_poke_ns_.compare_exchange_strong(last, now)) return;  // another poke won
  {
    MutexLock lock(mu_);
    poked_ = true;
  }
  wake_.Signal();
}

void OperatorKeyMirror::Loop() {
  const auto period = std::chrono::milliseconds(std::max(10, options_.refresh_ms));
  MutexLock lock(mu_);
  while (!stopping_) {
    const auto until = std::chrono::steady_clock::now() + period;
    while (!stopping_ && !poked_ && std::chrono::steady_clock::now() < until) wake_.WaitUntil(mu_, until);
    if (stopping_) break;
    poked_ = false;
    lock.Unlock();
    (void)Refresh();  // a failure is logged (once per outage); the mirror stays as it was
    lock.Lock();
  }
}

Result<engine::NewOperatorKey> OperatorKeyMirror::Create(const std::string& name) {
  MutexLock one_at_a_time(create_mu_);
  Status published;
  engine::MintedOperatorKey minted;
  for (int draw = 0; draw < kIdDraws; ++draw) {
    TKV_ASSIGN_OR_RETURN(minted, store_->Mint(name));
    published = registry_.Create(ToCluster(minted.key), engine::kMaxActiveOperatorKeys);
    if (published.reason() != "key_id_taken") break;
  }
  TKV_RETURN_IF_ERROR(published);
  if (Status s = store_->Adopt(minted.key); !s.ok()) {
    // Nobody will have its token: it must not hold the name.
    const Status undone = registry_.Revoke(minted.key.info.key_id, clock_->NowUnixMillis()).status();
    if (!undone.ok()) {
      spdlog::error("cluster: operator key {} is in etcd but could not be stored here, nor revoked: {}",
                    minted.key.info.key_id, undone.ToString());
    }
    return s;
  }
  return engine::NewOperatorKey{minted.key.info, std::move(minted.token)};
}

Status OperatorKeyMirror::Revoke(const std::string& key_id) {
  MutexLock one_at_a_time(create_mu_);
  TKV_ASSIGN_OR_RETURN(std::optional<cluster::ClusterOperatorKey> done,
                       registry_.Revoke(key_id, std::max<int64_t>(1, clock_->NowUnixMillis())));
  if (done.has_value()) TKV_RETURN_IF_ERROR(store_->Adopt(ToStored(*done)));
  const std::optional<engine::StoredOperatorKey> here = store_->Find(key_id);
  if (here.has_value() && !here->info.revoked()) return store_->Revoke(key_id);  // a local_only key
  if (!done.has_value() && !here.has_value()) {
    return Status::NotFound("no such operator key", "operator_key_not_found");
  }
  return Status::Ok();
}

std::vector<engine::OperatorKeyInfo> OperatorKeyMirror::List() {
  (void)Refresh();  // etcd out of reach: the mirror as it is
  return store_->List();
}

}  // namespace tenantkv::server
