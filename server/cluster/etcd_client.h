// EtcdClient: the small part of etcd's v3 API that cluster mode uses, over
// etcd's JSON gateway (POST /v3/kv/range, ... with base64 keys and values)
// and cpp-httplib. Why the gateway and not gRPC: docs/architecture.md,
// "Cluster mode".
//
// Errors (every call):
// - Unavailable("etcd_unavailable"): no endpoint answered, an answer was
//   cut off or timed out, or etcd answered 5xx. A write may or may not
//   have been applied when the answer was lost; callers that must know
//   guard their writes with a Txn.
// - Internal("etcd_bad_response"): an answer that is not what the API
//   promises (malformed JSON, larger than `max_response_bytes`).
// - FailedPrecondition("etcd_refused"): etcd refused the request (4xx),
//   e.g. a lease it does not know.
//
// Thread-safe: each call uses a connection of its own, so a slow call on
// one thread never holds up another.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/status.h"
#include "server/cluster/http_endpoint.h"

namespace tenantkv::server::cluster {

struct EtcdClientOptions {
  // etcd's client URLs. A call goes to the last endpoint that answered and
  // moves on to the next one only when it cannot connect, so a request is
  // never sent twice.
  std::vector<HttpEndpoint> endpoints;
  int connect_timeout_ms = 500;   // per endpoint (1..60000)
  int request_timeout_ms = 2000;  // read and write timeout of one call (1..60000)
  // An answer larger than this is refused (etcd_bad_response): a prefix
  // range of the node records stays far below it.
  size_t max_response_bytes = 4 << 20;
  // https endpoints: a PEM CA bundle to verify etcd against; "" = the system store.
  std::string ca_file;
};

// One key as etcd holds it.
struct EtcdKeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t version = 0;  // writes since creation; 0 = absent
  int64_t lease = 0;    // 0 = none
};

// A guard of a Txn: `target` of `key` compared with `value`. A key that
// does not exist has create_revision, mod_revision and version 0.
struct EtcdCompare {
  enum class Target { kCreateRevision, kModRevision, kVersion };
  enum class Op { kEqual, kNotEqual, kGreater, kLess };
  std::string key;
  Target target = Target::kCreateRevision;
  Op op = Op::kEqual;
  int64_t value = 0;
};

// One operation of a Txn branch.
struct EtcdOp {
  enum class Kind { kPut, kDelete };
  Kind kind = Kind::kPut;
  std::string key;
  std::string value;  // kPut
  int64_t lease = 0;  // kPut; 0 = none
  static EtcdOp Put(std::string key, std::string value, int64_t lease = 0) {
    return {Kind::kPut, std::move(key), std::move(value), lease};
  }
  static EtcdOp Delete(std::string key) { return {Kind::kDelete, std::move(key), {}, 0}; }
};

struct EtcdTxn {
  std::vector<EtcdCompare> compare;  // all must hold (AND)
  std::vector<EtcdOp> success;       // applied when they hold
  std::vector<EtcdOp> failure;       // applied otherwise
};

struct EtcdTxnResult {
  bool succeeded = false;  // whether the compares held
  int64_t revision = 0;    // the store's revision after the txn
};

struct EtcdLease {
  int64_t id = 0;
  int64_t ttl_seconds = 0;
};

class EtcdClient {
 public:
  // InvalidArgument when there is no endpoint or a timeout is out of range.
  static Result<std::unique_ptr<EtcdClient>> Create(EtcdClientOptions options);

  // The key, or nullopt when it does not exist.
  Result<std::optional<EtcdKeyValue>> Get(const std::string& key);
  // Keys starting with `prefix` (not empty), in key order, at most `limit`
  // (1..10000); *more is set when more exist.
  Result<std::vector<EtcdKeyValue>> GetPrefix(const std::string& prefix, int64_t limit = 1000,
                                              bool* more = nullptr);
  // Keys from `start` (inclusive) to `end` (exclusive), in key order, at
  // most `limit` (1..10000); *more is set when more keys of the range
  // follow. A page of a long range: the next one starts at the last key
  // read with a "\0" appended. InvalidArgument unless `start` is not empty
  // and `end` sorts after it.
  Result<std::vector<EtcdKeyValue>> GetRange(const std::string& start, const std::string& end, int64_t limit,
                                             bool* more = nullptr);
  // The store's revision after the put. `lease` 0 = none.
  Result<int64_t> Put(const std::string& key, const std::string& value, int64_t lease = 0);
  Result<EtcdTxnResult> Txn(const EtcdTxn& txn);
  // How many keys went: `key` alone, or every key starting with it.
  Result<int64_t> Delete(const std::string& key, bool prefix = false);

  // A lease of `ttl_seconds` (1..86400); etcd may grant a longer one.
  Result<EtcdLease> LeaseGrant(int64_t ttl_seconds);
  // One keep-alive: the TTL the lease now has. NotFound("lease_expired")
  // when etcd no longer has it.
  Result<int64_t> LeaseKeepAliveOnce(int64_t lease_id);
  // Ends the lease and deletes its keys. A lease etcd does not know is
  // already gone: OK.
  Status LeaseRevoke(int64_t lease_id);

 private:
  explicit EtcdClient(EtcdClientOptions options) : options_(std::move(options)) {}
  // POSTs `body` (JSON) to `path` and returns the JSON answer's text.
  Result<std::string> Call(const std::string& path, const std::string& body);
  // The range read of GetPrefix and GetRange, its arguments judged.
  Result<std::vector<EtcdKeyValue>> Range(const std::string& start, const std::string& end, int64_t limit,
                                          bool* more);

  const EtcdClientOptions options_;
  std::atomic<size_t> preferred_{0};  // the endpoint that answered last
};

// The end of a prefix range in etcd's sense: `prefix` with its last byte
// below 0xff incremented (the bytes after it dropped). "" for all-0xff.
std::string PrefixRangeEnd(const std::string& prefix);

}  // namespace tenantkv::server::cluster
