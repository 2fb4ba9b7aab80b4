// What a crash may and may not do to tenants' data, and the check of it
// against a restarted server. Shared by durability_test.cc and the
// crash-consistency harness (crash_consistency_test.cc).
//
// The ledger models every tracked key of every tenant. A write is begun
// before it is sent and either acknowledged (the server answered 2xx: it
// must survive any later crash) or left unresolved (no answer: the server
// died with it in flight, so it may or may not have happened; a batch
// happens whole or not at all). Each key must be written by one thread at a
// time, so acknowledged writes of a key are ordered.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/testing/test_server.h"

namespace tenantkv::testing {

// A key's state: its value, or nullopt when it is absent.
using KeyState = std::optional<std::string>;

struct WriteOp {
  std::string key;
  KeyState after;  // the value a put stores, nullopt for a delete
};

class WriteLedger {
 public:
  // Before sending `ops` of `tenant` (one op, or a batch). Returns a ticket
  // for Acknowledge. Thread-safe.
  int64_t Begin(const std::string& tenant, std::vector<WriteOp> ops);
  // The server answered success: the writes must be durable.
  void Acknowledge(int64_t ticket);
  // The server answered with an error that means nothing was written.
  void Refused(int64_t ticket);

  int64_t acknowledged_ops() const;
  int64_t unresolved_writes() const;  // begun, neither acknowledged nor refused

  // Compares what `tenant` holds now (key -> value, every key it has) with
  // the model: every tracked key is in its acknowledged state or in the
  // state an unresolved write would leave; an unresolved batch is applied
  // whole or not at all; no key appears that was never written. Then adopts
  // the observed state, so unresolved writes become settled. Returns one
  // line per violation; `checked` gets the number of keys compared.
  std::vector<std::string> Reconcile(const std::string& tenant,
                                     const std::map<std::string, std::string>& observed,
                                     int64_t* checked);

  // The model's state of every key of `tenant` ever written.
  std::map<std::string, KeyState> KeysOf(const std::string& tenant) const;

 private:
  struct Pending {
    std::string tenant;
    std::vector<WriteOp> ops;
  };
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, KeyState> state_;  // acknowledged
  std::map<int64_t, Pending> pending_;
  int64_t next_ticket_ = 0;
  int64_t acknowledged_ops_ = 0;
};

// Every key and value of the tenant behind `token`, read through paged
// GET /v1/kv?values=true (exact bytes through key_b64/next_b64). nullopt
// (and a gtest failure) if a page cannot be read.
std::optional<std::map<std::string, std::string>> ListEverything(const TestServer& server,
                                                                 const std::string& token);

struct TenantHandle {
  std::string id;
  std::string token;  // an API key of the tenant that may read
};

// After a restart: reconciles each tenant's listing with the ledger, reads
// every listed key back with GET, and checks that /v1/usage (keys, bytes)
// equals a recount of the listing. Returns the violations; adds the number
// of keys compared to *checked.
std::vector<std::string> VerifyAfterRestart(const TestServer& server, WriteLedger& ledger,
                                            const std::vector<TenantHandle>& tenants,
                                            int64_t* checked);

}  // namespace tenantkv::testing
