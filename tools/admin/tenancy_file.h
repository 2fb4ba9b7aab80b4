// The tenancy file of `tenantkv-admin apply` / `plan` / `export-config`:
// plans, tenants and their named API keys as code, in YAML or JSON, one
// schema (docs/tenancy.schema.json):
//
//   version: 1                      # optional; 1 is the only version
//   plans:
//     - name: gold
//       defaults: {requests_per_sec: 800}   # each of defaults/min/max optional, partial
//       max: {requests_per_sec: 1000}
//   tenants:
//     - id: acme
//       plan: gold                  # optional: standard when created, unchecked after
//       tier: pooled                # optional: pooled | column_family
//       state: active               # optional: active | suspended
//       quota: {requests_per_sec: 300}   # optional: the fields that differ from the plan's defaults
//       api_keys:                   # optional: the named keys that should exist
//         - {name: deploy, role: write, expires_at: "2027-01-01T00:00:00Z"}
//
// A member left out is not managed: the server's value stays as it is. A
// `quota` given manages every field (those not listed must equal the
// plan's defaults); `api_keys` given manages the tenant's named keys.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "crypto/status.h"
#include "tools/admin/http_transport.h"

namespace tenantkv::tools {

inline constexpr char kTenancyFileReason[] = "invalid_file";

struct PlanSpec {
  std::string name;
  Json defaults = Json::object();  // field -> integer, as given (may be partial)
  Json min = Json::object();
  Json max = Json::object();
  std::size_t index = 0;  // position in `plans`, for messages: plans[index]
};

struct KeySpec {
  std::string name;
  std::string role;                       // read | write | admin
  std::optional<std::string> expires_at;  // RFC 3339; used when the key is created
};

struct TenantSpec {
  std::string id;
  std::optional<std::string> plan;
  std::optional<std::string> tier;   // pooled | column_family
  std::optional<std::string> state;  // active | suspended
  std::optional<Json> quota;         // field -> integer: overrides of the plan's defaults
  std::optional<std::vector<KeySpec>> api_keys;
  std::size_t index = 0;  // position in `tenants`: tenants[index]
};

struct TenancySpec {
  std::vector<PlanSpec> plans;
  std::vector<TenantSpec> tenants;
};

// A file as read: its bytes' SHA-256 (lower-case hex) and its content.
struct TenancyFile {
  std::string sha256_hex;
  TenancySpec spec;
};

// The document `doc` (already JSON) as a TenancySpec. Errors
// (InvalidArgument, reason kTenancyFileReason) name the path of the first
// problem: "tenants[3].quota.requests_per_sec: expected an integer". It
// refuses unknown members, wrong types, values outside their set (role,
// tier, state), ids and plan names that break the id rule, and a tenant id,
// plan name or key name (within its tenant) given twice. Quota field names
// are not judged here: the server's list is (CheckQuotaFields).
Result<TenancySpec> ParseTenancySpec(const Json& doc);

// Reads `path`: JSON when it ends in ".json", else YAML (YamlToJson), then
// ParseTenancySpec. A file that cannot be read is an error too.
Result<TenancyFile> ReadTenancyFile(const std::string& path);

// The lower-case hex SHA-256 of `bytes`; Internal only if OpenSSL fails.
Result<std::string> Sha256Hex(const std::string& bytes);

}  // namespace tenantkv::tools
