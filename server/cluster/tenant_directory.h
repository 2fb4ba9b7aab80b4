// TenantDirectory: where each tenant lives in the cluster, kept in etcd,
// with a bounded cache in front of it.
//
// etcd layout (etcd_keys.h; docs/architecture.md, "Cluster mode"):
//   /tenantkv/tenants/<tenant id>            -> DirectoryEntry's JSON
//   /tenantkv/apikeys/<key id>               -> {"tenant": "<tenant id>"}
//   /tenantkv/tenant-apikeys/<tenant>/<key>  -> "" (so a tenant's key routes
//                                               can be found and dropped with it)
// Never a secret: a key route holds the key's id and tenant only.
//
// Every change of an entry is one etcd transaction guarded by what was
// read (the entry's mod_revision, which changes with every write, so an
// epoch read is an epoch still held): two nodes can never both win. A
// tenant id is held by at most one entry, so ids are unique cluster-wide.
//
// Lookups answer from the cache while it is fresher than the cache TTL, and
// read etcd otherwise. When etcd cannot be read a lookup answers from the
// cache however old (the degraded mode of docs/operations.md: forwarding
// uses the cached directory), and Unavailable("cluster_unavailable") only
// when nothing is cached. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <memory>
#include <vector>

#include "crypto/status.h"
#include "server/cluster/etcd_client.h"

namespace tenantkv::server::cluster {

// A move of a tenant between nodes, recorded in its entry while it runs
// (node_moves.h has the protocol). Only hashes and public keys: etcd holds
// no secret.
struct DirectoryMove {
  std::string to;    // the target node (the mover)
  std::string from;  // the source: the owner when the move was asked
  // "requested": recorded by the source, the target told; "copying": the
  // target took it (its public key and secret digest below).
  std::string state = "requested";
  int64_t started_ms = 0;      // wall clock, ms since the epoch
  std::string target_public;   // 64 hex: the mover's X25519 public key ("" while requested)
  std::string secret_sha256;   // 64 hex: SHA-256 of the mover's bearer secret ("" while requested)
};

struct DirectoryEntry {
  std::string tenant;
  std::string node;  // the owner's node id
  std::string tier;  // "pooled", "column_family" or "dedicated"
  int64_t epoch = 1;  // +1 at every change of owner
  // "creating": claimed, its storage not yet made (no node serves it);
  // "active": served by `node`.
  std::string state = "active";
  int64_t mod_revision = 0;  // etcd's, as read; what a guarded change compares
  // The move running, if any (indexed under /tenantkv/moves/).
  std::optional<DirectoryMove> move;
  // The node the last finished move came from ("" = none): a node that
  // finds a copy of the tenant it gave away deletes it.
  std::string moved_from;
};

// One page of the directory as read from etcd (TenantDirectory::ListPage).
struct DirectoryPage {
  std::vector<DirectoryEntry> entries;  // in tenant order; malformed ones left out
  // The id of the last key read, listed or not (a malformed one is
  // skipped): the next page starts after it. "" when none was read.
  std::string last;
  size_t read = 0;    // keys read, the skipped ones too
  bool more = false;  // keys of the range follow `last`
};

struct TenantDirectoryOptions {
  int cache_ttl_ms = 1000;        // 0..60000: how long a looked-up entry or key route is used unread
  size_t max_cached = 200'000;    // entries and key routes cached at most (each kind); the oldest half goes when full
};

class TenantDirectory {
 public:
  // `etcd` must outlive the directory.
  TenantDirectory(EtcdClient* etcd, TenantDirectoryOptions options = {});
  ~TenantDirectory();

  // Writes a new entry {tenant, node, tier, epoch 1, state} if no entry
  // holds `tenant` (create_revision == 0). AlreadyExists("tenant_exists")
  // when one does; Unavailable("cluster_unavailable") when etcd cannot be
  // reached. The cache holds the new entry.
  Result<DirectoryEntry> Claim(const std::string& tenant, const std::string& node, const std::string& tier,
                               const std::string& state);

  // Replaces `read` (as returned by Claim, Lookup or List) by `next` if
  // the entry is still as read (same mod_revision). The move index follows
  // `next.move` in the same transaction. `next.tenant` must be
  // read's. FailedPrecondition("directory_changed") when it changed or is
  // gone; the cache then forgets it.
  Result<DirectoryEntry> Update(const DirectoryEntry& read, DirectoryEntry next);

  // Deletes the entry, if still as read, with every key route of its
  // tenant. FailedPrecondition("directory_changed") as Update.
  Status Release(const DirectoryEntry& read);

  // The entry of `tenant`, nullopt when there is none. `fresh`: read etcd
  // whatever the cache holds (but still fall back to the cache when etcd
  // cannot be read).
  Result<std::optional<DirectoryEntry>> Lookup(const std::string& tenant, bool fresh = false);

  // The entry as etcd holds it now, never the cache's:
  // Unavailable("cluster_unavailable") when etcd cannot be read. For the
  // decisions of moves between nodes, which must not rest on an old copy.
  Result<std::optional<DirectoryEntry>> ReadFromEtcd(const std::string& tenant);

  // Every entry in tenant order, read from etcd in pages (no cache).
  // Unavailable("cluster_unavailable") when etcd cannot be read.
  Result<std::vector<DirectoryEntry>> List();

  // One read of at most `limit` (1..10000) keys of the directory, in
  // tenant order, from etcd (no cache): the ids after `start_after` ("" =
  // from the first) that start with `prefix` ("" = any). A malformed entry
  // is skipped with a warning, as List does, but counts in `read` and
  // `last`. InvalidArgument for a limit out of range;
  // Unavailable("cluster_unavailable") when etcd cannot be read.
  Result<DirectoryPage> ListPage(const std::string& start_after, const std::string& prefix, int64_t limit);

  // The tenants whose entries hold a move (the move index), at most
  // `limit` (1..10000). Unavailable("cluster_unavailable").
  Result<std::vector<std::string>> ListMoving(int64_t limit = 1000);

  // Routes `key_id` (16 lowercase hex) to `tenant` (one transaction: the
  // route and its index entry). Unavailable("cluster_unavailable").
  Status PublishKey(const std::string& key_id, const std::string& tenant);
  // Drops the route of `key_id` (and its index entry); absent is OK.
  Status RetractKey(const std::string& key_id, const std::string& tenant);
  // The tenant `key_id` routes to, nullopt when none; cached as Lookup.
  Result<std::optional<std::string>> LookupKey(const std::string& key_id, bool fresh = false);

  // From the cache alone, never etcd, so never blocking: what a lookup
  // within the cache TTL found (an entry, or nullopt for none), or nothing
  // (the outer nullopt) when the cache holds nothing that fresh.
  std::optional<std::optional<DirectoryEntry>> Peek(const std::string& tenant) const;
  std::optional<std::optional<std::string>> PeekKey(const std::string& key_id) const;

  // Drops what the cache holds of `tenant` (its entry), so that the next
  // Lookup reads etcd.
  void Forget(const std::string& tenant);

  // Failed etcd calls since start.
  uint64_t etcd_errors() const;

 private:
  // Choices of the implementation the comments above leave open
  // (tenant_directory.cc has the reasons):
  // - ids are checked on every call (invalid_tenant_id, invalid_key_id),
  //   entries as ParseDirectoryEntry does, a node id by the tenant id rule;
  // - PublishKey also refuses a tenant with no entry (NotFound
  //   "tenant_not_found") and a key id routed to another tenant
  //   (AlreadyExists "key_id_taken"); RetractKey never drops another
  //   tenant's route; Claim drops routes left under its id by a release
  //   that could not finish;
  // - a malformed stored entry (or route) is DataLoss("bad_directory_entry",
  //   "bad_key_route") for Lookup (LookupKey), and skipped with a warning by List;
  // - on an etcd failure a lookup answers what the cache holds, an absence
  //   too, unless Forget (or a failed Update or Release) dropped it;
  // - cache_ttl_ms is clamped to 0..60000, max_cached to at least 1.
  struct State;  // the cache, under its lock
  EtcdClient* const etcd_;
  const TenantDirectoryOptions options_;
  std::unique_ptr<State> state_;
};

// An entry's JSON as stored (without tenant and mod_revision, which come
// from the key), and back. InvalidArgument when it is not one.
std::string DirectoryEntryJson(const DirectoryEntry& e);
Result<DirectoryEntry> ParseDirectoryEntry(const std::string& tenant, const std::string& json_text);

}  // namespace tenantkv::server::cluster
