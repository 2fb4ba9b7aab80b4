#include "server/cluster/operator_identity.h"

namespace tenantkv::server::cluster {
namespace {

bool IsDigestHex(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Status Unreachable(const Status& s) {
  return Status::Unavailable("cannot share the operator token's digest: " + s.message(), "cluster_unavailable");
}

}  // namespace

Result<std::string> ShareOperatorDigest(EtcdClient& etcd, const std::string& digest_hex) {
  if (!IsDigestHex(digest_hex)) return Status::InvalidArgument("the digest must be 64 lowercase hex digits");
  const std::string key(kOperatorDigestKey);
  EtcdTxn txn;
  txn.compare.push_back({key, EtcdCompare::Target::kCreateRevision, EtcdCompare::Op::kEqual, 0});
  txn.success.push_back(EtcdOp::Put(key, digest_hex));
  Result<EtcdTxnResult> done = etcd.Txn(txn);
  if (!done.ok()) return Unreachable(done.status());
  if (done->succeeded) return digest_hex;
  Result<std::optional<EtcdKeyValue>> stored = etcd.Get(key);
  if (!stored.ok()) return Unreachable(stored.status());
  if (!stored->has_value() || !IsDigestHex((*stored)->value)) {
    return Status::DataLoss("the cluster's operator digest in etcd (" + key + ") is not 64 lowercase hex digits",
                            "bad_operator_digest");
  }
  return (*stored)->value;
}

}  // namespace tenantkv::server::cluster
