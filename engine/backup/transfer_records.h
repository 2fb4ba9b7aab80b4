// The records document of a tenant transfer (tenant_transfer.h), built on
// the source and parsed on the target. Internal to engine/backup.
//
//   {"format": kTransferFormat, "format_version": <data dir format>,
//    "frozen": bool, "tenant": {id, plan, state, created_at_ms,
//    incarnation, data_keys: [{version, state, created_at_ms}]},
//    "keys": [{version, wrapped (hex)}], "export_key": {key_id, wrapped} | null,
//    "records": [{key, value (hex)}]   system records as stored,
//    "webhooks": [{endpoint: {...}, secret (hex, wrapped)}]}
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/backup/tenant_transfer.h"

namespace tenantkv::engine {

Result<std::string> BuildTransferRecords(const TransferStores& stores, Tenant& tenant, bool frozen,
                                         const crypto::SecretBytes& transfer_key, size_t max_bytes);

struct TransferRecords {
  TenantInfo info;  // placement and tier_move empty; master versions 0
  bool frozen = false;
  std::map<uint32_t, crypto::SecretBytes> keys;
  std::optional<ExportKey> export_key;
  // System records as stored, each checked to be the tenant's.
  std::vector<std::pair<std::string, std::string>> records;
  std::vector<std::pair<WebhookEndpoint, crypto::SecretBytes>> webhooks;
  // Quota change requests of the tenant, as stored on the source (their
  // ids are the source's: QuotaRequestStore::Adopt gives new ones).
  std::vector<std::string> quota_requests;
};

// InvalidArgument "bad_transfer" (malformed, or a record that is not the
// tenant's), "transfer_undecryptable" (a key does not open).
Result<TransferRecords> ParseTransferRecords(std::string_view text, const crypto::SecretBytes& transfer_key);

}  // namespace tenantkv::engine
