#include "server/cluster/membership.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "server/cluster/etcd_keys.h"

namespace tenantkv::server::cluster {
namespace {

using json = nlohmann::json;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Result<NodeRecord> ParseNodeRecord(const std::string& json_text) {
  const json j = json::parse(json_text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::InvalidArgument("a node record is not a JSON object");
  NodeRecord r;
  auto str = [&j](const char* name) {
    auto it = j.find(name);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  auto num = [&j](const char* name) {
    auto it = j.find(name);
    return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : int64_t{0};
  };
  r.id = str("id");
  r.url = str("url");
  r.started_at = str("started_at");
  r.version = str("version");
  r.load.tenants = num("tenants");
  r.load.bytes = num("bytes");
  if (r.id.empty()) return Status::InvalidArgument("a node record without an id");
  return r;
}

Membership::Membership(std::unique_ptr<EtcdClient> etcd, MembershipOptions options, LoadSource load)
    : etcd_(std::move(etcd)), options_(std::move(options)), load_(std::move(load)) {}

Result<std::unique_ptr<Membership>> Membership::Join(std::unique_ptr<EtcdClient> etcd, MembershipOptions options,
                                                     LoadSource load) {
  if (options.lease_ttl_sec < 1 || options.lease_ttl_sec > 300) {
    return Status::InvalidArgument("the lease TTL must be 1..300 s");
  }
  std::unique_ptr<Membership> m(new Membership(std::move(etcd), std::move(options), std::move(load)));
  TKV_RETURN_IF_ERROR(m->Register());
  m->thread_ = std::thread([self = m.get()] { self->RenewalLoop(); });
  return m;
}

Membership::~Membership() { Leave(); }

Status Membership::Counted(Status s) {
  if (!s.ok()) etcd_errors_.fetch_add(1);
  return s;
}

std::string Membership::RecordJson(const NodeLoad& load) const {
  return json{{"id", options_.node_id},
              {"url", options_.advertise_url},
              {"started_at", options_.started_at},
              {"version", options_.version},
              {"tenants", load.tenants},
              {"bytes", load.bytes}}
      .dump();
}

Status Membership::Register() {
  if (const int64_t old = lease_id_.exchange(0); old != 0) abandoned_lease_ = old;
  if (abandoned_lease_ != 0) {
    // Etcd may still hold it, and the record with it, though this node gave
    // it up (etcd keeps leases across its own restart): end it first, or
    // the stale record would stand for a TTL and block the new one.
    TKV_RETURN_IF_ERROR(Counted(etcd_->LeaseRevoke(abandoned_lease_)));
    abandoned_lease_ = 0;
  }
  const int64_t sent_ns = NowNs();
  const NodeLoad load = load_ ? load_() : NodeLoad{};
  Result<EtcdLease> lease = etcd_->LeaseGrant(options_.lease_ttl_sec);
  if (!lease.ok()) return Counted(lease.status());
  const std::string key = NodeKey(options_.node_id);
  EtcdTxn txn;
  txn.compare.push_back({key, EtcdCompare::Target::kCreateRevision, EtcdCompare::Op::kEqual, 0});
  txn.success.push_back(EtcdOp::Put(key, RecordJson(load), lease->id));
  Result<EtcdTxnResult> put = etcd_->Txn(txn);
  if (!put.ok() || !put->succeeded) {
    Counted(etcd_->LeaseRevoke(lease->id)).IgnoreError();
    if (!put.ok()) return Counted(put.status());
    std::string holder;
    if (auto held = etcd_->Get(key); held.ok() && held->has_value()) {
      if (auto r = ParseNodeRecord((*held)->value); r.ok()) holder = " (" + r->url + ", started " + r->started_at + ")";
    }
    return Status::AlreadyExists("node id '" + options_.node_id + "' is registered by a live node" + holder +
                                     "; its record lapses one lease TTL after that node stops",
                                 "node_id_taken");
  }
  reported_ = load;
  record_revision_ = put->revision;  // the txn created the key: its create_revision
  lease_id_.store(lease->id);
  renewed_at_ns_.store(sent_ns);
  return Status::Ok();
}

bool Membership::lease_alive() const {
  const int64_t at = renewed_at_ns_.load();
  return lease_id_.load() != 0 && at != 0 && NowNs() - at < int64_t{options_.lease_ttl_sec} * 1'000'000'000;
}

void Membership::Renew() {
  const int64_t lease = lease_id_.load();
  if (lease != 0) {
    const int64_t sent_ns = NowNs();
    Result<int64_t> ttl = etcd_->LeaseKeepAliveOnce(lease);
    if (ttl.ok()) {
      renewed_at_ns_.store(sent_ns);
      lost_logged_ = false;
      const NodeLoad load = load_ ? load_() : NodeLoad{};
      if (!(load == reported_)) {
        // Only the record this node created: never one recreated meanwhile
        // (by another process that took the id after a lapse).
        EtcdTxn txn;
        const std::string key = NodeKey(options_.node_id);
        txn.compare.push_back({key, EtcdCompare::Target::kCreateRevision, EtcdCompare::Op::kEqual, record_revision_});
        txn.success.push_back(EtcdOp::Put(key, RecordJson(load), lease));
        Result<EtcdTxnResult> put = etcd_->Txn(txn);
        if (put.ok() && put->succeeded) reported_ = load;
        Counted(put.status()).IgnoreError();  // the next round tries again
        if (put.ok() && !put->succeeded) {
          // The record is gone or another process's: this node's claim to
          // its id is over. Give the lease up and try to register again.
          spdlog::error("cluster: the record of node '{}' was removed or replaced; registering again",
                        options_.node_id);
          abandoned_lease_ = lease_id_.exchange(0);
          renewed_at_ns_.store(0);
        }
      }
      return;
    }
    Counted(ttl.status()).IgnoreError();
    if (ttl.status().reason() == "lease_expired") {
      spdlog::warn("cluster: etcd no longer has this node's lease; registering again");
      lease_id_.store(0);
    } else if (!lease_alive()) {
      if (!lost_logged_) spdlog::error("cluster: lease not renewed for {} s: {}", options_.lease_ttl_sec, ttl.status().ToString());
      lost_logged_ = true;
    } else {
      return;  // still within the TTL: try again next round
    }
  }
  // No lease, or one that lapsed here: register afresh.
  const Status s = Register();
  if (s.ok()) {
    reregistrations_.fetch_add(1);
    spdlog::info("cluster: registered again as '{}' under a new lease", options_.node_id);
  } else if (!lost_logged_ || s.reason() == "node_id_taken") {
    spdlog::error("cluster: cannot register again: {}", s.ToString());
    lost_logged_ = true;
  }
}

void Membership::RenewalLoop() {
  const auto period = std::chrono::milliseconds(std::max(100, options_.lease_ttl_sec * 1000 / 3));
  MutexLock lock(mu_);
  while (!stopping_) {
    const auto until = std::chrono::steady_clock::now() + period;
    while (!stopping_ && std::chrono::steady_clock::now() < until) wake_.WaitUntil(mu_, until);
    if (stopping_) break;
    lock.Unlock();
    Renew();
    lock.Lock();
  }
}

void Membership::Leave() {
  {
    MutexLock lock(mu_);
    if (left_) return;
    left_ = true;
    stopping_ = true;
  }
  wake_.SignalAll();
  if (thread_.joinable()) thread_.join();
  if (const int64_t lease = lease_id_.exchange(0); lease != 0) {
    const Status s = Counted(etcd_->LeaseRevoke(lease));
    if (!s.ok()) spdlog::warn("cluster: could not revoke the lease at leave (it lapses by itself): {}", s.ToString());
  }
  renewed_at_ns_.store(0);
}

Result<std::vector<NodeRecord>> Membership::ListNodes() {
  bool more = false;
  Result<std::vector<EtcdKeyValue>> kvs = etcd_->GetPrefix(std::string(kNodesPrefix), 1000, &more);
  if (!kvs.ok()) {
    Counted(kvs.status()).IgnoreError();
    return Status::Unavailable("the cluster's etcd cannot be read: " + kvs.status().message(), "cluster_unavailable");
  }
  std::vector<NodeRecord> out;
  bool self_listed = false;
  for (const EtcdKeyValue& kv : *kvs) {
    Result<NodeRecord> r = ParseNodeRecord(kv.value);
    if (!r.ok() || NodeKey(r->id) != kv.key) {
      spdlog::warn("cluster: skipping a malformed node record");
      continue;
    }
    r->alive = kv.lease != 0;
    r->lease = kv.lease;
    self_listed = self_listed || r->id == options_.node_id;
    out.push_back(std::move(*r));
  }
  if (!self_listed) {
    NodeRecord self;
    self.id = options_.node_id;
    self.url = options_.advertise_url;
    self.started_at = options_.started_at;
    self.version = options_.version;
    self.load = load_ ? load_() : NodeLoad{};
    out.push_back(std::move(self));
    std::sort(out.begin(), out.end(), [](const NodeRecord& a, const NodeRecord& b) { return a.id < b.id; });
  }
  return out;
}

}  // namespace tenantkv::server::cluster
