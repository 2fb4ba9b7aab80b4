// --setup: make the tenants of a run exist, give them a write key, and fill
// their key space, through the admin and data APIs.
#pragma once

#include <ostream>
#include <string>

#include "crypto/status.h"
#include "tools/bench/loopback_target.h"
#include "tools/bench/tenant_spec.h"

namespace tenantkv::bench {

struct SetupOptions {
  LoopbackTarget target;       // the server
  std::string operator_token;  // for /admin/v1; never printed
  double timeout_seconds = 10;   // per request (> 0)
  double deadline_seconds = 120;  // for one tenant's whole setup, pre-load included (> 0)
};

// Creates tenant spec.name (201; 409 = it exists already, kept as it is);
// unless the spec brings a token, creates a write key for it; then writes
// keys k0..k<keys-1> with spec.value_bytes-byte values through /v1/batch, in
// chunks of up to 500 puts (fewer for large values, so a body stays under
// 4 MiB). A 429 or 503 is waited out (Retry-After, at most 5 s at a time; a
// 429 also halves the chunk, since a batch costs one rate token per op).
// Returns the tenant token to load with. Fails (Unavailable) on any other
// error, a transport failure, or when the deadline passes; the message names
// the tenant, the step and the server's problem code, never a token. One
// line per tenant goes to `log`.
Result<std::string> SetUpTenant(const TenantSpec& spec, const SetupOptions& options,
                                std::ostream& log);

}  // namespace tenantkv::bench
