// Handover of a tenant's export wrapping key to another node.
//
// An export opens only with its tenant's export wrapping key, which never
// leaves the source node in the clear. To move a tenant, the operator asks
// the source node for a handover: the key wrapped (AES-256-GCM) under a key
// derived from a passphrase the operator chooses (PBKDF2-HMAC-SHA256,
// random salt). The target node needs the export, the handover and the
// passphrase; any one or two of them open nothing. JSON text:
//   {"format": "tenantkv-handover/1", "tenant", "export_key_id",
//    "kdf": "pbkdf2-hmac-sha256", "iterations", "salt" (hex), "wrapped" (hex)}
// The wrap's AAD binds tenant and export key id. Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "crypto/passphrase_key.h"
#include "crypto/status.h"
#include "engine/tenants/wrapped_key_store.h"

namespace tenantkv::engine {

inline constexpr char kHandoverFormat[] = "tenantkv-handover/1";

// InvalidArgument("weak_passphrase") for a passphrase out of bounds.
Result<std::string> MakeHandover(const std::string& tenant, const ExportKey& key,
                                 std::string_view passphrase,
                                 uint32_t iterations = crypto::kPassphraseIterations);

struct OpenedHandover {
  std::string tenant;
  ExportKey key;
};

// InvalidArgument: "bad_handover" (malformed), "handover_undecryptable"
// (wrong passphrase or altered handover), "weak_passphrase".
Result<OpenedHandover> OpenHandover(std::string_view text, std::string_view passphrase);

}  // namespace tenantkv::engine
