// How tenantkv-admin classifies and reports a failure: one line on stderr and
// an exit code (0 success, 1 server or transport failure, 2 bad usage, 3
// drift: `plan` / `apply --dry-run` found changes to make).
#pragma once

#include <string>

#include "crypto/status.h"

namespace tenantkv::tools {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitDrift = 3;

// The `reason` of errors the user caused before any request was sent; not
// snake_case, so no problem `code` from a server can be mistaken for it.
inline constexpr char kUsageReason[] = "tenantkv-admin:usage";

// An error in how the tool was called (missing token, --yes not given, bad
// URL). It maps to exit code 2.
inline Status UsageError(std::string message) {
  return Status::InvalidArgument(std::move(message), kUsageReason);
}

// kExitUsage for UsageError(), kExitFailure for every other error.
int ExitCodeFor(const Status& status);

// "error: <message>" on one line: control characters become spaces.
std::string ErrorLine(const Status& status);

}  // namespace tenantkv::tools
