// Reading a small secret file (a master key file, an HSM PIN) into locked
// memory, refusing files that anyone but their owner may access.
#pragma once

#include <cstddef>
#include <string>

#include "crypto/secret_bytes.h"
#include "crypto/status.h"

namespace tenantkv::crypto {

// How errors name the file, and their reasons.
struct SecretFileKind {
  const char* what;           // e.g. "master key file"
  const char* insecure;       // FailedPrecondition reason: group/others may access it
  const char* bad_size;       // InvalidArgument reason: empty or over max_bytes
  const char* io;             // Internal reason: open/read failed
};

// The whole file: a regular file (not a symlink) with no group or other
// permission bits, 1..max_bytes long. Messages name the path, never content.
Result<SecretBytes> ReadOwnerOnlyFile(const std::string& path, size_t max_bytes, const SecretFileKind& kind);

}  // namespace tenantkv::crypto
