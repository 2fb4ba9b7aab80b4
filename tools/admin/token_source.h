// Where the bearer token comes from. The token is a secret: no message
// produced here ever contains it.
#pragma once

#include <string>

#include "crypto/status.h"

namespace tenantkv::tools {

// The name of the environment variable read when no --token-file is given.
inline constexpr char kTokenEnvVar[] = "TENANTKV_TOKEN";

// Returns the token from `token_file` when it is non-empty, else from
// `env_token` (the value of TENANTKV_TOKEN, or nullptr when unset). Leading
// and trailing whitespace is stripped (a file's trailing newline). A
// UsageError when there is no source, the file cannot be read or is over
// 4 KiB, or the token is empty or holds whitespace or control characters
// (it would not survive as one HTTP header value).
Result<std::string> LoadToken(const std::string& token_file, const char* env_token);

}  // namespace tenantkv::tools
