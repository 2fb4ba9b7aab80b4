// What `tenantkv-admin plan` / `apply` would change: the tenancy file
// (TenancySpec) against the server's live state, as an ordered list of
// changes, each with its diff lines and the requests that make it. Pure:
// no I/O, so the diff is tested without a server. Also the reverse:
// export-config's document from the live state.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "crypto/status.h"
#include "tools/admin/http_transport.h"
#include "tools/admin/tenancy_file.h"

namespace tenantkv::tools {

// An active API key with a name (keys without a name are never managed).
struct LiveKey {
  std::string key_id;
  std::string name;
  std::string role;
  std::optional<std::string> expires_at;
};

struct LiveTenant {
  std::string id;
  std::string plan;
  std::string tier;
  std::string state;            // active | suspended | deleting
  Json quota = Json::object();  // every field, as GET tenant answers it
  std::vector<LiveKey> keys;    // oldest first; filled only for the tenants whose keys are managed
};

struct LiveState {
  std::vector<std::string> quota_fields;      // the server's quota fields, in its order
  std::map<std::string, Json> plans;          // name -> {"defaults","min","max"}, every field
  std::map<std::string, LiveTenant> tenants;  // id -> tenant, `deleting` ones included
};

// The server's quota fields: those of the first plan's defaults (every plan
// holds all of them). Empty when the server has no plan.
std::vector<std::string> QuotaFieldsOf(const std::map<std::string, Json>& plans);

struct NewKey {
  std::string tenant;
  std::string name;
  std::string role;
};

struct TenancyChange {
  std::vector<std::string> lines;     // the diff lines, no '\n': "~ tenant acme quota.weight 2 -> 3"
  std::vector<HttpRequest> requests;  // sent in order; each changes one thing (one audit entry)
  std::optional<NewKey> new_key;      // requests[0] creates this key: keep its token
  bool deletes_tenant = false;        // needs --yes
};

// The changes that make the live state what `spec` says, in a stable
// order: plans by name, then tenants by id (for each: create, resume,
// quota, keys, suspend; or, with `prune`, delete). Lines:
//   + plan gold                       ~ plan gold defaults.weight 2 -> 3
//   + tenant acme (plan gold)         ~ tenant acme quota.requests_per_sec 100 -> 300
//   ~ tenant acme state active -> suspended              - tenant old
//   + apikey acme "deploy" (role write)
//   ~ apikey acme "deploy" role read -> write (rotate: create a new key, then revoke <id>)
//   - apikey acme "old" (revoke <id>)
// Plans are never deleted (the API has no such route). With `prune`,
// tenants not in the file and, for the tenants whose api_keys the file
// gives, named keys not in it are deleted/revoked. Errors
// (InvalidArgument, kTenancyFileReason) name the file's path: a quota field
// the server does not have, a plan whose min <= defaults <= max fails, a
// tenant on an unknown plan, a tenant whose plan or tier differs from the
// server's (neither can change), a tenant being deleted.
Result<std::vector<TenancyChange>> DiffTenancy(const TenancySpec& spec, const LiveState& live, bool prune);

// The live state as a tenancy document: version, every plan in full, and
// every tenant that is not being deleted with its plan, tier, state, quota
// overrides (fields that differ from its plan's defaults) and named active
// keys (one per name: the newest). DiffTenancy of it against the same
// state has no change.
Json ExportTenancy(const LiveState& live);

}  // namespace tenantkv::tools
